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
	"io"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/mcpverify/mcpverify/wire"
)

// This file seals requestState and MACs pagination cursors.
//
// requestState is attacker-controlled input (mrtr.mdx): the client may
// replay, swap or edit it, or present it as another caller. So it is
// sealed with an AEAD and bound to the request and the caller it was
// issued for:
//
//	state   = "s1." base64url(keyID[8] || nonce[12] || AES-256-GCM(payload))
//	aad     = "mcpverify/requestState/v1" || keyID
//	payload = JSON {d: SHA-256 digest of the method and the salient params,
//	                p: SHA-256 of the principal's name,
//	                e: expiry (unix ms), a: input keys asked,
//	                x: the handler's own state (bytes)}
//
// The digest covers the method and what identifies the request: for
// tools/call the tool name and the canonical (RFC 8785) arguments, for
// prompts/get the prompt name and arguments, for resources/read the URI.
// The principal is the authenticated caller (auth.go): the name its bearer
// token maps to over HTTP, Config.StdioPrincipal on stdio, "" (anonymous)
// when the server has no authentication. Opening checks, in order: the
// format (prefix, strict unpadded URL-safe base64, length), the key ID
// (any key of the ring), the AEAD tag (so no bit of it can be edited), the
// principal and digest (no state of another caller, another tool or other
// arguments), and the expiry. Every failure is a rejection: mrtr.go answers
// it with -32602 and tells the client to start the request again.
//
// Keys rotate: Config.StateKeys lists keys, the first seals, all open;
// state names its key by ID. The AEAD key and the ID are derived from each
// configured secret with HKDF-SHA256 under distinct labels, so the secret
// itself is never used directly and the ID reveals nothing about it.
//
// State is not single-use: within its lifetime the same state can be
// presented again by the same caller for the same request (mrtr.mdx allows
// this). A handler that must be redeemed at most once records a nonce of
// its state in the Ledger (ledger.go), as the transfer fixture does.

const (
	statePrefix  = "s1."
	cursorPrefix = "c1."
	keyIDLen     = 8
	nonceLen     = 12
	tagLen       = 16
	cursorMACLen = 16
	stateAAD     = "mcpverify/requestState/v1"
	cursorLabel  = "mcpverify/cursor/v1"
	// maxStateLen bounds the text of a requestState that is worth
	// decoding; longer is rejected before any work.
	maxStateLen = 64 << 10
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
	if len(secrets) == 0 {
		return nil, errors.New("impl: no state key")
	}
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
	Digest    []byte   `json:"d"`
	Principal []byte   `json:"p"`
	Expiry    int64    `json:"e"`
	Asked     []string `json:"a,omitzero"`
	Data      []byte   `json:"x,omitzero"`
}

// binding identifies the request a state belongs to: who sent it
// (principal) and what it asked (digest).
type binding struct {
	principal [sha256.Size]byte
	digest    [sha256.Size]byte
}

// principalID is what a state records of its principal: a hash of the
// name, so that every state has the same size whatever the name.
func principalID(name string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte("mcpverify/principal/v1\x00"))
	h.Write([]byte(name))
	var id [sha256.Size]byte
	h.Sum(id[:0])
	return id
}

var anonymousID = principalID("")

// bindingOf computes the binding of a request of the anonymous principal
// from its method and salient params (see forPrincipal). Each part is
// length-prefixed, so no two splits of the same bytes collide.
func bindingOf(method string, parts ...string) binding {
	h := sha256.New()
	writePart := func(p string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	writePart(method)
	for _, p := range parts {
		writePart(p)
	}
	b := binding{principal: anonymousID}
	h.Sum(b.digest[:0])
	return b
}

// forPrincipal returns the binding of the same request sent by principal.
func (b binding) forPrincipal(principal string) binding {
	b.principal = principalID(principal)
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

// stateCodec seals and opens requestState.
type stateCodec struct {
	keys *keyring
	ttl  time.Duration
	now  func() time.Time
	rand io.Reader
}

// seal seals the state of a request b: the input keys asked and the
// handler's data (encoded JSON, or nil).
func (c *stateCodec) seal(b binding, asked []string, data []byte) (string, error) {
	p := statePayload{
		Digest:    b.digest[:],
		Principal: b.principal[:],
		Expiry:    c.now().Add(c.ttl).UnixMilli(),
		Asked:     asked,
		Data:      data,
	}
	plain, err := wire.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode state: %w", err)
	}
	k := c.keys.keys[0]
	buf := make([]byte, keyIDLen+nonceLen, keyIDLen+nonceLen+len(plain)+k.aead.Overhead())
	copy(buf, k.id[:])
	if _, err := io.ReadFull(c.rand, buf[keyIDLen:]); err != nil {
		return "", fmt.Errorf("state nonce: %w", err)
	}
	buf = k.aead.Seal(buf, buf[keyIDLen:], plain, stateAADFor(k.id[:]))
	return statePrefix + base64.RawURLEncoding.EncodeToString(buf), nil
}

// decodeCanonical decodes unpadded URL-safe base64 and accepts only the
// one spelling the server writes: the standard library's decoder skips
// line breaks even in strict mode, so the result is encoded again and
// compared.
func decodeCanonical(enc string) ([]byte, bool) {
	buf, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || base64.RawURLEncoding.EncodedLen(len(buf)) != len(enc) || base64.RawURLEncoding.EncodeToString(buf) != enc {
		return nil, false
	}
	return buf, true
}

func stateAADFor(id []byte) []byte {
	return append([]byte(stateAAD), id...)
}

// Reasons a requestState is rejected.
var (
	errStateMalformed = errors.New("requestState is not a state this server issued")
	errStateForged    = errors.New("requestState failed integrity verification")
	errStateMismatch  = errors.New("requestState was issued for a different request or to a different caller")
	errStateExpired   = errors.New("requestState has expired")
)

// open verifies a requestState against the request b and returns its
// payload.
func (c *stateCodec) open(state string, b binding) (*statePayload, error) {
	if len(state) > maxStateLen {
		return nil, errStateMalformed
	}
	enc, ok := strings.CutPrefix(state, statePrefix)
	if !ok {
		return nil, errStateMalformed
	}
	buf, ok := decodeCanonical(enc)
	if !ok || len(buf) < keyIDLen+nonceLen+tagLen {
		return nil, errStateMalformed
	}
	k := c.keys.byID(buf[:keyIDLen])
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
	okDigest := subtle.ConstantTimeCompare(p.Digest, b.digest[:])
	okPrincipal := subtle.ConstantTimeCompare(p.Principal, b.principal[:])
	if okDigest&okPrincipal != 1 {
		return nil, errStateMismatch
	}
	if !c.now().Before(time.UnixMilli(p.Expiry)) {
		return nil, errStateExpired
	}
	return &p, nil
}

// seal seals the state of an InputRequiredResult for the request b; data
// is the handler's state, encoded as JSON (nil: none).
func (s *Server) seal(b binding, asked []string, data any) (string, error) {
	var raw []byte
	if data != nil {
		var err error
		if raw, err = wire.Marshal(data); err != nil {
			return "", fmt.Errorf("encode state: %w", err)
		}
	}
	return s.states.seal(b, asked, raw)
}

// open verifies a requestState against the request b.
func (s *Server) open(state string, b binding) (*statePayload, error) {
	return s.states.open(state, b)
}

// StateCodec is the requestState codec of the reference server, exported
// for the fuzz targets and for readers who want to reuse it: Seal and Open
// are exactly what the server does with the state of an
// InputRequiredResult. A Server builds its own from Config; two codecs
// with the same keys open each other's states.
type StateCodec struct {
	c stateCodec
}

// StateCodecConfig configures a StateCodec.
type StateCodecConfig struct {
	// Keys are as Config.StateKeys: at least one, each at least
	// MinStateKeyBytes; the first seals, all open. Required.
	Keys [][]byte
	// TTL is the lifetime of a sealed state. Default DefaultStateTTL.
	TTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Rand is the source of nonces. Default crypto/rand. A deterministic
	// source is for tests only: two states sealed under one key with the
	// same nonce break AES-GCM.
	Rand io.Reader
}

// NewStateCodec builds a codec. It fails on a missing, short or repeated
// key, or a negative TTL.
func NewStateCodec(cfg StateCodecConfig) (*StateCodec, error) {
	if cfg.TTL < 0 {
		return nil, errors.New("impl: negative state TTL")
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultStateTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	ring, err := newKeyring(cfg.Keys)
	if err != nil {
		return nil, err
	}
	return &StateCodec{c: stateCodec{keys: ring, ttl: cfg.TTL, now: cfg.Now, rand: cfg.Rand}}, nil
}

// StateBinding names what a state is bound to: the principal it was
// issued to, and the request (method and salient params, in order, e.g.
// the tool name and its canonical arguments). The server binds the
// requests it serves the same way.
type StateBinding struct {
	Principal string
	Method    string
	Params    []string
}

func (b StateBinding) binding() binding {
	return bindingOf(b.Method, b.Params...).forPrincipal(b.Principal)
}

// StateContents is what a state carries besides its binding: the input
// keys that were asked and the handler's opaque data.
type StateContents struct {
	Asked []string
	Data  []byte
}

// Seal seals contents for the request b; the state expires TTL from now.
// Asked keys must be valid UTF-8.
func (c *StateCodec) Seal(b StateBinding, contents StateContents) (string, error) {
	return c.c.seal(b.binding(), contents.Asked, contents.Data)
}

// Open verifies state for the request b and returns its contents and
// expiry. It fails unless state is a state this codec's keys sealed, for
// the same principal, method and params, and unexpired.
func (c *StateCodec) Open(state string, b StateBinding) (StateContents, time.Time, error) {
	p, err := c.c.open(state, b.binding())
	if err != nil {
		return StateContents{}, time.Time{}, err
	}
	return StateContents{Asked: p.Asked, Data: p.Data}, time.UnixMilli(p.Expiry), nil
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
	buf, ok := decodeCanonical(enc)
	if !ok || len(buf) != cursorRawLen {
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
