package corpus

import (
	"embed"
	"io/fs"
	"path"
	"sort"
)

//go:embed seeds/*.txtar attacks/*.txtar fixedbugs/*.txtar
var files embed.FS

// File is one trace of the corpus.
type File struct {
	Name string // e.g. "seeds/basic.txtar"
	Data []byte
}

func dir(name string) []File {
	entries, err := fs.ReadDir(files, name)
	if err != nil {
		return nil
	}
	var out []File
	for _, e := range entries {
		data, err := files.ReadFile(path.Join(name, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, File{Name: path.Join(name, e.Name()), Data: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Seeds returns the seed traces: exchanges of conforming servers that fuzz
// targets and generators start from.
func Seeds() []File { return dir("seeds") }

// Attacks returns the attack traces.
func Attacks() []File { return dir("attacks") }

// FixedBugs returns the traces of fixed bugs.
func FixedBugs() []File { return dir("fixedbugs") }
