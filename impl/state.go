package impl

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/mcpverify/mcpverify/wire"
)

// This file seals requestState and MACs pagination cursors.
//
// requestState is attacker-controlled input (mrtr.mdx): the client may
// replay, swap or edit it. So it is sealed with an AEAD and bound to the
// request it was issued for:
//
//	state   = "s1." base64url(keyID[8] || nonce[12] || AES-256-GCM(payload))
//	aad     = "mcpverify/requestState/v1" || keyID
//	payload = JSON {m: method, d: SHA-256 digest of the salient params,
//	                p: principal, e: expiry (unix ms), a: input keys asked,
//	                x: the handler's own state}
//
// The digest covers the method and what identifies the request: for
// tools/call the tool name and the canonical (RFC 8785) arguments, for
// prompts/get the prompt name and arguments, for resources/read the URI.
// Opening checks, in order: the format, the key ID (any key of the ring),
// the AEAD tag (so no bit of it can be edited), the method and digest (no
// state of another tool or other arguments), and the expiry. This server
// has no authentication, so the principal is always "" (anonymous); the
// field is there so that a server with auth binds state to its caller the
// same way.
//
// Keys rotate: Config.StateKeys lists keys, the first seals, all open;
// state names its key by ID. The AEAD key and the ID are derived from each
// configured secret with HKDF-SHA256 under distinct labels, so the secret
// itself is never used directly and the ID reveals nothing about it.
//
// State is not single-use: within its lifetime the same state can be
// presented again (mrtr.mdx allows this; a server needing at-most-once
// redemption must track it server-side).

const (
	statePrefix  = "s1."
	cursorPrefix = "c1."
	keyIDLen     = 8
	nonceLen     = 12
	cursorMACLen = 16
	stateAAD     = "mcpverify/requestState/v1"
	cursorLabel  = "mcpverify/cursor/v1"
)

// stateKey is one key of the ring.
type stateKey struct {
	id     [keyIDLen]byte
	aead   cipher.AEAD
	macKey []byte
}

// keyring holds the state keys; keys[0] seals.
type keyring struct {
	keys []*stateKey
}

func newKeyring(secrets [][]byte) (*keyring, error) {
	r := &keyring{}
	seen := map[[keyIDLen]byte]bool{}
	for i, secret := range secrets {
		if len(secret) < MinStateKeyBytes {
			return nil, fmt.Errorf("impl: state key %d is %d bytes; want at least %d", i, len(secret), MinStateKeyBytes)
		}
		k, err := deriveKey(secret)
		if err != nil {
			return nil, err
		}
		if seen[k.id] {
			return nil, fmt.Errorf("impl: state key %d repeats an earlier key", i)
		}
		seen[k.id] = true
		r.keys = append(r.keys, k)
	}
	return r, nil
}

func deriveKey(secret []byte) (*stateKey, error) {
	encKey, err := hkdf.Key(sha256.New, secret, nil, "mcpverify requestState AES-256-GCM key v1", 32)
	if err != nil {
		return nil, fmt.Errorf("impl: derive state key: %w", err)
	}
	idBytes, err := hkdf.Key(sha256.New, secret, nil, "mcpverify state key id v1", keyIDLen)
	if err != nil {
		return nil, fmt.Errorf("impl: derive key id: %w", err)
	}
	macKey, err := hkdf.Key(sha256.New, secret, nil, "mcpverify cursor HMAC-SHA256 key v1", 32)
	if err != nil {
		return nil, fmt.Errorf("impl: derive cursor key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &stateKey{aead: aead, macKey: macKey}
	copy(k.id[:], idBytes)
	return k, nil
}

func (r *keyring) byID(id []byte) *stateKey {
	for _, k := range r.keys {
		if subtle.ConstantTimeCompare(k.id[:], id) == 1 {
			return k
		}
	}
	return nil
}

// statePayload is what a sealed requestState holds.
type statePayload struct {
	Method    string     `json:"m"`
	Digest    []byte     `json:"d"`
	Principal string     `json:"p"`
	Expiry    int64      `json:"e"`
	Asked     []string   `json:"a,omitzero"`
	Data      wire.Value `json:"x,omitzero"`
}

// binding identifies the request a state belongs to.
type binding struct {
	method string
	digest [sha256.Size]byte
}

// bindingOf computes the binding of a request from its salient params.
// Arguments are canonicalized (RFC 8785) so that member order and
// whitespace do not matter; absent arguments equal {}.
func bindingOf(method string, parts ...string) binding {
	h := sha256.New()
	h.Write([]byte(method))
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	b := binding{method: method}
	h.Sum(b.digest[:0])
	return b
}

// canonicalJSON returns the RFC 8785 form of a JSON value; absent is {}.
func canonicalJSON(raw wire.Value) string {
	if len(raw) == 0 {
		return "{}"
	}
	v := jsontext.Value(bytes.Clone(raw))
	if err := v.Canonicalize(); err != nil {
		// Not reachable for a value that decoded strictly; bind to the
		// bytes as they are rather than fail.
		return string(raw)
	}
	return string(v)
}

// seal seals the state of an InputRequiredResult for the request b.
func (s *Server) seal(b binding, asked []string, data any) (string, error) {
	p := statePayload{
		Method: b.method,
		Digest: b.digest[:],
		Expiry: s.now().Add(s.cfg.StateTTL).UnixMilli(),
		Asked:  asked,
	}
	if data != nil {
		raw, err := wire.Marshal(data)
		if err != nil {
			return "", fmt.Errorf("encode state: %w", err)
		}
		p.Data = raw
	}
	plain, err := wire.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode state: %w", err)
	}
	k := s.keys.keys[0]
	buf := make([]byte, keyIDLen+nonceLen, keyIDLen+nonceLen+len(plain)+k.aead.Overhead())
	copy(buf, k.id[:])
	if _, err := rand.Read(buf[keyIDLen:]); err != nil {
		return "", fmt.Errorf("state nonce: %w", err)
	}
	buf = k.aead.Seal(buf, buf[keyIDLen:], plain, stateAADFor(k.id[:]))
	return statePrefix + base64.RawURLEncoding.EncodeToString(buf), nil
}

func stateAADFor(id []byte) []byte {
	return append([]byte(stateAAD), id...)
}

// Reasons a requestState is rejected.
var (
	errStateMalformed = errors.New("requestState is not a state this server issued")
	errStateForged    = errors.New("requestState failed integrity verification")
	errStateMismatch  = errors.New("requestState was issued for a different request")
	errStateExpired   = errors.New("requestState has expired")
)

// open verifies a requestState against the request b and returns its
// payload.
func (s *Server) open(state string, b binding) (*statePayload, error) {
	enc, ok := strings.CutPrefix(state, statePrefix)
	if !ok {
		return nil, errStateMalformed
	}
	buf, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(buf) < keyIDLen+nonceLen {
		return nil, errStateMalformed
	}
	k := s.keys.byID(buf[:keyIDLen])
	if k == nil {
		return nil, errStateForged
	}
	plain, err := k.aead.Open(nil, buf[keyIDLen:keyIDLen+nonceLen], buf[keyIDLen+nonceLen:], stateAADFor(buf[:keyIDLen]))
	if err != nil {
		return nil, errStateForged
	}
	var p statePayload
	if err := wire.Unmarshal(plain, &p); err != nil {
		return nil, errStateForged
	}
	if p.Method != b.method || subtle.ConstantTimeCompare(p.Digest, b.digest[:]) != 1 || p.Principal != "" {
		return nil, errStateMismatch
	}
	if !s.now().Before(time.UnixMilli(p.Expiry)) {
		return nil, errStateExpired
	}
	return &p, nil
}

// Cursors.
//
//	cursor = "c1." base64url(list[1] || offset[4] || listDigest[8] || keyID[8] || mac[16])
//	mac    = HMAC-SHA256(cursorKey, "mcpverify/cursor/v1" || list || offset || listDigest)[:16]
//
// A cursor names a position in one list (tools, prompts, resources,
// templates) of one version of that list (the digest of its contents). The
// MAC makes cursors unforgeable, so a cursor the server did not issue, one
// of another list, or one from before the list changed is rejected with
// -32602 instead of being trusted as an offset.

const cursorRawLen = 1 + 4 + 8 + keyIDLen + cursorMACLen

func cursorMAC(k *stateKey, list byte, offset uint32, digest []byte) []byte {
	m := hmac.New(sha256.New, k.macKey)
	m.Write([]byte(cursorLabel))
	var hdr [5]byte
	hdr[0] = list
	binary.BigEndian.PutUint32(hdr[1:], offset)
	m.Write(hdr[:])
	m.Write(digest)
	return m.Sum(nil)[:cursorMACLen]
}

// makeCursor issues the cursor of position offset in list.
func (r *keyring) makeCursor(list byte, offset uint32, digest []byte) string {
	k := r.keys[0]
	buf := make([]byte, 0, cursorRawLen)
	buf = append(buf, list)
	buf = binary.BigEndian.AppendUint32(buf, offset)
	buf = append(buf, digest[:8]...)
	buf = append(buf, k.id[:]...)
	buf = append(buf, cursorMAC(k, list, offset, digest[:8])...)
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(buf)
}

// readCursor verifies a cursor for list and returns its offset.
func (r *keyring) readCursor(cursor string, list byte, digest []byte) (uint32, bool) {
	enc, ok := strings.CutPrefix(cursor, cursorPrefix)
	if !ok {
		return 0, false
	}
	buf, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(buf) != cursorRawLen {
		return 0, false
	}
	k := r.byID(buf[13 : 13+keyIDLen])
	if k == nil {
		return 0, false
	}
	offset := binary.BigEndian.Uint32(buf[1:5])
	want := cursorMAC(k, buf[0], offset, buf[5:13])
	if !hmac.Equal(want, buf[13+keyIDLen:]) {
		return 0, false
	}
	if buf[0] != list || !bytes.Equal(buf[5:13], digest[:8]) {
		return 0, false
	}
	return offset, true
}
