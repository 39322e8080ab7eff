// Command note-verify checks a Placeshare audit checkpoint with Go's own
// signed-note implementation (golang.org/x/mod/sumdb/note), independently of
// the gateway's Java code. It reads the checkpoint (a C2SP tlog-checkpoint
// signed note) from a file or "-" for standard input, and the log's verifier
// key (name+hash+key) from -key or -keyfile; it checks the signature, that the
// note text is a well-formed checkpoint whose origin is the key's name (or
// -origin), and prints "ok <origin> <size> <root>".
//
// With -witness (repeatable, a file holding a witness's verifier key of type
// 0x04), it also checks the witnesses' C2SP tlog-cosignature cosignature/v1
// lines on the note, written here from the spec with crypto/ed25519 (Go's note
// package ignores them): each present must verify, and at least -quorum of the
// given witnesses must have cosigned. It prints "cosigned <name> <time>" each.
//
// It builds offline against Debian's golang-golang-x-mod-dev in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o note-verify .
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	key := flag.String("key", "", "the log's note verifier key (name+hash+key)")
	keyFile := flag.String("keyfile", "", "a file holding the verifier key")
	origin := flag.String("origin", "", "the expected origin (default: the key's name)")
	var witnesses multi
	flag.Var(&witnesses, "witness", "a file holding a witness's cosigner verifier key (type 0x04); repeatable")
	quorum := flag.Int("quorum", 0, "how many of the -witness keys must have cosigned (default: all)")
	sign := flag.String("sign", "", "instead of verifying, sign the checkpoint text read from the file with this PRIVATE+KEY (test vectors)")
	flag.Parse()
	if flag.NArg() != 1 {
		fail(errors.New("usage: note-verify -key NAME+HASH+KEY | -keyfile FILE [-origin O] CHECKPOINT|-"))
	}
	msg, err := read(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	if *sign != "" {
		s, err := note.NewSigner(*sign)
		if err != nil {
			fail(err)
		}
		out, err := note.Sign(&note.Note{Text: string(msg)}, s)
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(out)
		return
	}
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			fail(err)
		}
		*key = strings.TrimSpace(string(b))
	}
	v, err := note.NewVerifier(*key)
	if err != nil {
		fail(fmt.Errorf("verifier key: %w", err))
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail(fmt.Errorf("checkpoint: %w", err))
	}
	want := *origin
	if want == "" {
		want = v.Name()
	}
	o, size, root, err := parseCheckpoint(n.Text)
	if err != nil {
		fail(err)
	}
	if o != want {
		fail(fmt.Errorf("checkpoint origin %q, expected %q", o, want))
	}
	fmt.Printf("ok %s %d %s\n", o, size, root)
	if len(witnesses) == 0 {
		return
	}
	need := *quorum
	if need == 0 {
		need = len(witnesses)
	}
	cosigned := 0
	for _, file := range witnesses {
		b, err := os.ReadFile(file)
		if err != nil {
			fail(err)
		}
		name, t, ok, err := cosignature(msg, n.Text, strings.TrimSpace(string(b)))
		if err != nil {
			fail(err)
		}
		if ok {
			cosigned++
			fmt.Printf("cosigned %s %d\n", name, t)
		} else {
			fmt.Printf("not cosigned by %s\n", name)
		}
	}
	if cosigned < need {
		fail(fmt.Errorf("%d of the witnesses cosigned, %d needed", cosigned, need))
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// cosignature finds the witness's cosignature/v1 line on the signed note msg
// (whose text is text) and checks it: the key ID is SHA-256(name || "\n" ||
// 0x04 || key)[:4], the signature is a big-endian u64 timestamp then Ed25519
// over "cosignature/v1\ntime <t>\n" || text. A line with the witness's name
// and key ID that does not verify is an error, not an absence.
func cosignature(msg []byte, text, vkey string) (string, uint64, bool, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return "", 0, false, errors.New("witness key: not name+hash+key")
	}
	name := parts[0]
	typed, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(typed) != 1+ed25519.PublicKeySize || typed[0] != 0x04 {
		return name, 0, false, errors.New("witness key: not an Ed25519 cosignature/v1 key (type 0x04)")
	}
	h := sha256.Sum256(append([]byte(name+"\n"), typed...))
	id := h[:4]
	if fmt.Sprintf("%x", id) != parts[1] {
		return name, 0, false, errors.New("witness key: its hash does not match")
	}
	sigs := msg[len(text)+1:]
	for _, line := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		prefix := "\u2014 " + name + " "
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		rest := strings.TrimPrefix(line, prefix)
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(raw) < 4 || !bytes.Equal(raw[:4], id) {
			continue
		}
		if len(raw) != 4+8+ed25519.SignatureSize {
			return name, 0, false, fmt.Errorf("cosignature by %s: %d bytes", name, len(raw))
		}
		t := binary.BigEndian.Uint64(raw[4:12])
		signed := fmt.Sprintf("cosignature/v1\ntime %d\n%s", t, text)
		if t > 1<<63-1 || !ed25519.Verify(ed25519.PublicKey(typed[1:]), []byte(signed), raw[12:]) {
			return name, t, false, fmt.Errorf("cosignature by %s does not verify", name)
		}
		return name, t, true, nil
	}
	return name, 0, false, nil
}

// parseCheckpoint reads a C2SP tlog-checkpoint body: origin, decimal size
// without leading zeros, base64 of a 32-byte root, then optional extension
// lines.
func parseCheckpoint(text string) (string, uint64, string, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return "", 0, "", errors.New("checkpoint: fewer than three lines")
	}
	o := strings.TrimSuffix(lines[0], "\n")
	sizeText := strings.TrimSuffix(lines[1], "\n")
	rootText := strings.TrimSuffix(lines[2], "\n")
	size, err := strconv.ParseUint(sizeText, 10, 64)
	if o == "" || err != nil || strconv.FormatUint(size, 10) != sizeText {
		return "", 0, "", errors.New("checkpoint: bad origin or size line")
	}
	root, err := base64.StdEncoding.DecodeString(rootText)
	if err != nil || len(root) != 32 {
		return "", 0, "", errors.New("checkpoint: bad root line")
	}
	return o, size, rootText, nil
}

func read(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "note-verify:", err)
	os.Exit(1)
}
