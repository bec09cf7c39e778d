package upload

import (
	"bytes"
	"context"
	"errors"
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
