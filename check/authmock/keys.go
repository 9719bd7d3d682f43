package authmock

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/go-jose/go-jose/v4"
)

// Key IDs of the two signing keys, as published in the JWKS.
const (
	KidRSA = "mock-rs256"
	KidEC  = "mock-es256"
)

// maxKeysFile bounds a keys file read by New.
const maxKeysFile = 64 << 10

// keys are the server's signing keys: the published ones and two that are
// never published (the "foreign" keys of the key-not-in-JWKS defect).
type keys struct {
	rsa       *rsa.PrivateKey
	ec        *ecdsa.PrivateKey
	foreign   *rsa.PrivateKey
	foreignEC *ecdsa.PrivateKey
}

func generateKeys() (*keys, error) {
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("authmock: generating the RSA key: %w", err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("authmock: generating the EC key: %w", err)
	}
	k := &keys{rsa: r, ec: e}
	return k, k.addForeign()
}

func (k *keys) addForeign() error {
	f, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("authmock: generating the unpublished key: %w", err)
	}
	fe, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("authmock: generating the unpublished key: %w", err)
	}
	k.foreign, k.foreignEC = f, fe
	return nil
}

// privateSet is the keys file's content: a JWKS holding the private keys.
func (k *keys) privateSet() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: k.rsa, KeyID: KidRSA, Algorithm: "RS256", Use: "sig"},
		{Key: k.ec, KeyID: KidEC, Algorithm: "ES256", Use: "sig"},
	}}
}

// publicSet is the JWKS the server publishes.
func (k *keys) publicSet() jose.JSONWebKeySet {
	s := k.privateSet()
	for i := range s.Keys {
		s.Keys[i] = s.Keys[i].Public()
	}
	return s
}

// loadKeys reads a keys file written by SaveKeys: a JWKS with one RSA
// (at least 2048 bits) and one P-256 private key, under KidRSA and KidEC.
func loadKeys(path string) (*keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("authmock: keys file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeysFile+1))
	n := len(b)
	if err != nil {
		return nil, fmt.Errorf("authmock: keys file: %w", err)
	}
	if n > maxKeysFile {
		return nil, fmt.Errorf("authmock: keys file %s: larger than %d bytes", path, maxKeysFile)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b[:n], &set); err != nil {
		return nil, fmt.Errorf("authmock: keys file %s: want a JWKS: %w", path, err)
	}
	k := &keys{}
	for _, jk := range set.Keys {
		switch key := jk.Key.(type) {
		case *rsa.PrivateKey:
			if jk.KeyID == KidRSA && key.N.BitLen() >= 2048 {
				k.rsa = key
			}
		case *ecdsa.PrivateKey:
			if jk.KeyID == KidEC && key.Curve == elliptic.P256() {
				k.ec = key
			}
		}
	}
	if k.rsa == nil || k.ec == nil {
		return nil, fmt.Errorf("authmock: keys file %s: want private keys %q (RSA, 2048 bits or more) and %q (EC P-256)", path, KidRSA, KidEC)
	}
	return k, k.addForeign()
}

// SaveKeys writes the server's signing keys, private parts included, to
// path as a JWKS readable by New (Options.KeysFile), with mode 0600. The
// unpublished keys of the key-not-in-JWKS defect are not saved: a loaded
// server draws new ones.
func (s *Server) SaveKeys(path string) error {
	b, err := json.MarshalIndent(s.keys.privateSet(), "", "  ")
	if err != nil {
		return fmt.Errorf("authmock: encoding the keys: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("authmock: writing the keys: %w", err)
	}
	return nil
}
