package authmock_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check/authmock"
)

// TestMockTLS: with TLS the issuer is https, the certificate authority
// is written to CAFile, and a client that trusts it (only it) reads the
// metadata; one that does not, cannot.
func TestMockTLS(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	s := newServer(t, authmock.Options{TLS: true, CAFile: ca})
	if !strings.HasPrefix(s.Issuer(), "https://127.0.0.1:") {
		t.Fatalf("issuer %s", s.Issuer())
	}
	pemData, err := os.ReadFile(ca)
	if err != nil || !bytes.Equal(pemData, s.CACertPEM()) {
		t.Fatalf("CA file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("the CA file holds no certificate")
	}
	trusting := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := trusting.Get(s.Issuer() + authmock.MetadataPath)
	if err != nil {
		t.Fatal(err)
	}
	var md authmock.Metadata
	err = json.NewDecoder(res.Body).Decode(&md)
	res.Body.Close()
	if err != nil || md.Issuer != s.Issuer() || !strings.HasPrefix(md.JWKSURI, "https://") {
		t.Errorf("metadata %+v: %v", md, err)
	}
	for _, host := range []string{"localhost", "[::1]"} {
		u := strings.Replace(s.Issuer(), "127.0.0.1", host, 1)
		if res, err := trusting.Get(u + authmock.JWKSPath); err == nil {
			res.Body.Close()
		} else if !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("%s: %v", host, err) // the certificate names it; the listener may not
		}
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if res, err := plain.Get(s.Issuer() + authmock.MetadataPath); err == nil {
		res.Body.Close()
		t.Error("a client that does not trust the CA read the metadata")
	}
	if _, err := authmock.New(authmock.Options{InMemory: true, TLS: true}); err == nil {
		t.Error("an in-memory server with TLS: no error")
	}
}
