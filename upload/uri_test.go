package upload_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evodb/writer/upload"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tests := []struct {
		uri     string
		wantErr string // substring; "" for success
	}{
		{"file://" + dir + "/table", ""},
		{"file://localhost" + dir + "/t2", ""},
		{"mem://a", ""},
		{"mem://a/tables/t1", ""},
		{"s3://bucket/prefix?region=us-east-1&endpoint=http://127.0.0.1:1&path_style=true", ""},
		{"", "no scheme"},
		{"/just/a/path", "no scheme"},
		{"ftp://host/x", "unknown scheme"},
		{"file://otherhost/x", "local path"},
		{"file:relative/path", "absolute"},
		{"file:///x?mode=1", "no query"},
		{"mem://", "no name"},
		{"mem://a?x=1", "no query"},
		{"mem://a/../b", "invalid key"},
		{"s3:///prefix", "no bucket"},
		{"s3://bucket/p?region=us-east-1&colour=red", `unknown parameter "colour"`},
		{"s3://bucket/p?region=us-east-1&path_style=maybe", "not a boolean"},
		{"s3://bucket/a//b?region=us-east-1", "invalid key"},
		{"%zz", "invalid URL escape"},
	}
	for _, tc := range tests {
		s, err := upload.Open(ctx, tc.uri)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("Open(%q): %v", tc.uri, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("Open(%q) error = %v, want one containing %q", tc.uri, err, tc.wantErr)
		case tc.wantErr == "" && s == nil:
			t.Errorf("Open(%q) returned no store", tc.uri)
		}
	}
}

func TestOpenKinds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := upload.Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := s.(*upload.Local); !ok || l.Root() != dir {
		t.Errorf("file URI opened %T rooted at %v", s, s)
	}
	if _, err := s.Put(ctx, "x/y", []byte("1"), upload.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "x", "y")); err != nil || string(got) != "1" {
		t.Errorf("file under the root holds %q, %v", got, err)
	}
	s3s, err := upload.Open(ctx, "s3://bkt/tables/t1/?region=auto&endpoint=https://acct.r2.cloudflarestorage.com")
	if err != nil {
		t.Fatal(err)
	}
	if b := s3s.(*upload.S3).Bucket(); b != "bkt" {
		t.Errorf("bucket %q, want bkt", b)
	}
}

func TestOpenMemorySharedByName(t *testing.T) {
	ctx := context.Background()
	a, err := upload.Open(ctx, "mem://shared-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, "tables/t1/k", []byte("v"), upload.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := upload.Open(ctx, "mem://shared-test")
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := b.Get(ctx, "tables/t1/k"); err != nil || string(got) != "v" {
		t.Errorf("same name, other store: Get = %q, %v", got, err)
	}
	sub, err := upload.Open(ctx, "mem://shared-test/tables/t1")
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := sub.Get(ctx, "k"); err != nil || string(got) != "v" {
		t.Errorf("prefixed view: Get(k) = %q, %v", got, err)
	}
	other, err := upload.Open(ctx, "mem://other-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Get(ctx, "tables/t1/k"); err == nil {
		t.Errorf("another name sees the object")
	}
}
