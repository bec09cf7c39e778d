package upload_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evodb/writer/upload"
)

// FuzzValidateKey: a key is either refused with a KeyError by every store
// operation, or it stays inside the local store's root and round-trips.
func FuzzValidateKey(f *testing.F) {
	for _, k := range []string{"a", "a/b", "../x", "a/../../b", "/etc/passwd", "a//b", ".", "a/./b", "x\x00y", `a\b`, "_delta_log/00000000000000000000.json", ".upload-lock", "a/.upload-tmp-1", "...", "..a", "a.."} {
		f.Add(k)
	}
	root := f.TempDir()
	s, err := upload.NewLocal(root)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string) {
		ctx := context.Background()
		verr := upload.ValidateKey(key)
		_, perr := s.Put(ctx, key, []byte(key), upload.PutOptions{})
		if verr != nil {
			var ke *upload.KeyError
			if !errors.As(perr, &ke) {
				t.Fatalf("ValidateKey(%q) = %v but Put returned %v", key, verr, perr)
			}
			return
		}
		p := filepath.Join(root, filepath.FromSlash(key))
		if rel, err := filepath.Rel(root, p); err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
			t.Fatalf("valid key %q maps to %s, outside the root", key, p)
		}
		if perr != nil {
			// A valid key can still clash with an object or directory
			// an earlier input created ("a" then "a/b"), or be too long
			// for the file system.
			return
		}
		got, _, err := s.Get(ctx, key)
		if err != nil || !bytes.Equal(got, []byte(key)) {
			t.Fatalf("Get(%q) = %q, %v", key, got, err)
		}
	})
}
