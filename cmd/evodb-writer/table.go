package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/evodb/writer/upload"
)

// tableFlags are the flags that name a table and reach its store.
type tableFlags struct {
	uri         string
	s3Endpoint  string
	s3Region    string
	s3PathStyle string // "", "true" or "false": empty leaves the store's default
}

func (t *tableFlags) register(fs *flagSet) {
	fs.StringVar(&t.uri, "table", "", "the table `URI`: file:///path (or a plain path) or s3://bucket/prefix")
	fs.StringVar(&t.s3Endpoint, "s3-endpoint", "", "S3 endpoint `URL`, e.g. https://<account id>.r2.cloudflarestorage.com for R2\nor http://127.0.0.1:7070 for a local server (default: AWS, or AWS_ENDPOINT_URL_S3)")
	fs.StringVar(&t.s3Region, "s3-region", "", "S3 `region`: auto for R2, us-east-1 for most local servers (default: AWS_REGION)")
	fs.StringVar(&t.s3PathStyle, "s3-path-style", "", "address the bucket in the URL path (`BOOL`), as self-hosted S3 servers need")
	fs.env("table", "EVODB_TABLE")
	fs.env("s3-endpoint", "EVODB_S3_ENDPOINT")
	fs.env("s3-region", "EVODB_S3_REGION")
	fs.env("s3-path-style", "EVODB_S3_PATH_STYLE")
}

// takeArg accepts the table as the command's one argument (inspect TABLE),
// which wins over EVODB_TABLE but must not contradict --table.
func (t *tableFlags) takeArg(fs *flagSet, pos []string) error {
	switch {
	case len(pos) == 0:
		return nil
	case len(pos) > 1:
		return usagef("unexpected argument %q: give one table", pos[1])
	case t.uri != "" && t.uri != pos[0] && !fs.fromEnv["table"]:
		return usagef("unexpected argument %q: --table names %s", pos[0], t.uri)
	}
	t.uri = pos[0]
	return nil
}

// tableRef is a parsed table URI.
type tableRef struct {
	display string // the URI as shown to people
	scheme  string // file, s3, mem
	path    string // file: absolute directory; s3: prefix; mem: name/prefix
	bucket  string
	query   url.Values
}

// parseTable reads a table URI or a plain local path. allowMem admits
// mem:// (useful only inside one long-running process).
func parseTable(uri string, allowMem bool) (*tableRef, error) {
	if uri == "" {
		return nil, usagef("no table: give --table URI (or set EVODB_TABLE), e.g. --table file:///tmp/lake/events")
	}
	if !strings.Contains(uri, "://") {
		if strings.Contains(uri, ":") && !strings.HasPrefix(uri, "/") && !strings.HasPrefix(uri, ".") {
			return nil, usagef("table %q: not a URI this program knows (file:///path, s3://bucket/prefix) nor a plain path", uri)
		}
		abs, err := filepath.Abs(uri)
		if err != nil {
			return nil, fmt.Errorf("table %q: %w", uri, err)
		}
		return &tableRef{display: "file://" + abs, scheme: "file", path: abs}, nil
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, usagef("table %q: %v", uri, err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, usagef("table %q: a file URI names a local path: file:///path (host %q given)", uri, u.Host)
		}
		if !strings.HasPrefix(u.Path, "/") {
			return nil, usagef("table %q: the path must be absolute: file:///path", uri)
		}
		if u.RawQuery != "" {
			return nil, usagef("table %q: file URIs take no query parameters", uri)
		}
		p := filepath.Clean(u.Path)
		return &tableRef{display: "file://" + p, scheme: "file", path: p}, nil
	case "s3":
		if u.Host == "" {
			return nil, usagef("table %q: no bucket: s3://bucket/prefix", uri)
		}
		prefix := strings.Trim(u.Path, "/")
		if prefix == "" {
			return nil, usagef("table %q: no prefix: a table needs its own prefix in the bucket, s3://%s/tables/name", uri, u.Host)
		}
		return &tableRef{display: "s3://" + u.Host + "/" + prefix, scheme: "s3", bucket: u.Host, path: prefix, query: u.Query()}, nil
	case "mem":
		if !allowMem {
			return nil, usagef("table %q: a mem:// table lives only inside one process and is gone when this command ends; use file:// or s3://", uri)
		}
		return &tableRef{display: uri, scheme: "mem", path: uri}, nil
	default:
		return nil, usagef("table %q: unknown scheme %q (known: file, s3)", uri, u.Scheme)
	}
}

// openStore returns the store rooted at the table.
func (t *tableFlags) openStore(ctx context.Context, ref *tableRef) (upload.Store, error) {
	switch ref.scheme {
	case "file":
		s, err := upload.NewLocal(ref.path)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", ref.display, err)
		}
		return s, nil
	case "s3":
		opts := upload.S3Options{Bucket: ref.bucket, Prefix: ref.path}
		if err := upload.ApplyS3Query(&opts, ref.query); err != nil {
			return nil, usagef("table %s: %v", ref.display, err)
		}
		if t.s3Endpoint != "" {
			if u, err := url.Parse(t.s3Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, usagef("--s3-endpoint %q: want an http:// or https:// URL", t.s3Endpoint)
			}
			opts.Endpoint = t.s3Endpoint
		}
		if t.s3Region != "" {
			opts.Region = t.s3Region
		}
		if t.s3PathStyle != "" {
			b, err := strconv.ParseBool(t.s3PathStyle)
			if err != nil {
				return nil, usagef("--s3-path-style %q is not a boolean", t.s3PathStyle)
			}
			opts.UsePathStyle = b
		}
		s, err := upload.NewS3(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", ref.display, err)
		}
		return s, nil
	case "mem":
		s, err := upload.Open(ctx, ref.path)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", ref.display, err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("table %s: unknown scheme %q", ref.display, ref.scheme)
}
