// Command gen writes spec/ids.go: one typed constant per requirement of
// spec/catalog.json. Run it with `go generate ./spec`.
package main

import (
	"log"
	"os"

	"github.com/mcpverify/mcpverify/spec"
)

func main() {
	src, err := spec.GenerateIDs(spec.All())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("ids.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
}
