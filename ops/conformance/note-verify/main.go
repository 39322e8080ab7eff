// Command note-verify checks a Placeshare audit checkpoint with Go's own
// signed-note implementation (golang.org/x/mod/sumdb/note), independently of
// the gateway's Java code. It reads the checkpoint (a C2SP tlog-checkpoint
// signed note) from a file or "-" for standard input, and the log's verifier
// key (name+hash+key) from -key or -keyfile; it checks the signature, that the
// note text is a well-formed checkpoint whose origin is the key's name (or
// -origin), and prints "ok <origin> <size> <root>".
//
// It builds offline against Debian's golang-golang-x-mod-dev in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o note-verify .
package main

import (
	"encoding/base64"
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
