package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"syscall"
	"testing"
)

// TestLocalIfMatchAgainstDeleteAndIfAbsent runs a Delete and an IfAbsent
// write between an IfMatch write's ETag check and its rename. Either they
// wait for the IfMatch write (and the IfAbsent bytes end up stored), or
// they run first and the IfMatch write, whose ETag is then stale, must not
// replace what the IfAbsent write stored.
func TestLocalIfMatchAgainstDeleteAndIfAbsent(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old, err := l.Put(ctx, "k", []byte("old"), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var absentErr, deleteErr error
	others := make(chan struct{})
	waiting := make(chan struct{}, 1)
	t.Cleanup(func() { localHookChecked, localHookLockWait = nil, nil })
	localHookChecked = func() {
		localHookChecked = nil
		localHookLockWait = func() {
			select {
			case waiting <- struct{}{}:
			default:
			}
		}
		go func() {
			defer close(others)
			deleteErr = l.Delete(ctx, "k")
			_, absentErr = l.Put(ctx, "k", []byte("absent"), PutOptions{IfAbsent: true})
		}()
		// Go on once the others are done or wait for the lock.
		select {
		case <-others:
		case <-waiting:
		}
	}
	_, matchErr := l.Put(ctx, "k", []byte("match"), PutOptions{IfMatch: old.ETag})
	<-others
	if deleteErr != nil {
		t.Fatalf("Delete: %v", deleteErr)
	}
	got, _, err := l.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if absentErr == nil && !bytes.Equal(got, []byte("absent")) {
		t.Errorf("the IfAbsent write succeeded but the key holds %q (IfMatch write: %v)", got, matchErr)
	}
	if absentErr != nil && !errors.Is(absentErr, ErrPreconditionFailed) {
		t.Errorf("IfAbsent write: %v", absentErr)
	}
}

// TestLocalETagSurvivesInodeReuse: an object deleted and written again
// with the same size, on a reused inode and with the same mtime (a coarse
// clock), must not take the old ETag, or a stale IfMatch would succeed.
func TestLocalETagSurvivesInodeReuse(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reused := false
	for i := 0; i < 20 && !reused; i++ {
		first, err := l.Put(ctx, "k", []byte("first"), PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st1, err := os.Stat(l.path("k"))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Put(ctx, "k", []byte("other"), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		// The coarse clock: the new file gets the old mtime.
		if err := os.Chtimes(l.path("k"), st1.ModTime(), st1.ModTime()); err != nil {
			t.Fatal(err)
		}
		st2, err := os.Stat(l.path("k"))
		if err != nil {
			t.Fatal(err)
		}
		reused = os.SameFile(st1, st2) || st1.Sys().(*syscall.Stat_t).Ino == st2.Sys().(*syscall.Stat_t).Ino
		info, err := l.Head(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag == first.ETag {
			t.Fatalf("rewritten object kept the ETag %s (inode reused: %v)", info.ETag, reused)
		}
		_, err = l.Put(ctx, "k", []byte("stale"), PutOptions{IfMatch: first.ETag})
		if !errors.Is(err, ErrPreconditionFailed) {
			t.Fatalf("IfMatch with the replaced object's ETag = %v, want ErrPreconditionFailed", err)
		}
		if err := l.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if !reused {
		t.Logf("the file system never reused an inode; the ETags were still checked")
	}
}

// TestLocalETagOfForeignFile: a file the store did not write has no nonce;
// its ETag is the hash of its content, and IfMatch works with it.
func TestLocalETagOfForeignFile(t *testing.T) {
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := os.WriteFile(l.path("foreign"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := l.Head(ctx, "foreign")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("abc"))
	if want := `"h-` + hex.EncodeToString(sum[:]) + `"`; info.ETag != want {
		t.Fatalf("ETag = %s, want %s", info.ETag, want)
	}
	if _, err := l.Put(ctx, "foreign", []byte("new"), PutOptions{IfMatch: `"h-00"`}); !errors.Is(err, ErrPreconditionFailed) {
		t.Errorf("IfMatch with a wrong hash = %v, want ErrPreconditionFailed", err)
	}
	put, err := l.Put(ctx, "foreign", []byte("new"), PutOptions{IfMatch: info.ETag})
	if err != nil {
		t.Fatalf("IfMatch with the content hash: %v", err)
	}
	head, err := l.Head(ctx, "foreign")
	if err != nil || head.ETag != put.ETag {
		t.Errorf("Head after the write = %s, %v; the write returned %s", head.ETag, err, put.ETag)
	}
}
