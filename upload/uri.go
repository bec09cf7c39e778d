package upload

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Open returns the store a URI names:
//
//	file:///var/lib/tables/orders   a Local store rooted at the path
//	s3://bucket/tables/orders       an S3 store on bucket, keys under tables/orders/
//	mem://name/tables/orders        the process's memory store called name, keys under tables/orders/
//
// s3 URIs take their endpoint, region and credentials from the standard
// AWS environment and config files (AWS_ENDPOINT_URL_S3, AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_PROFILE, ...); EVODB_S3_PATH_STYLE=true selects
// path-style addressing. The query parameters endpoint, region and
// path_style override them: s3://tables/x?endpoint=http://127.0.0.1:7070&region=us-east-1&path_style=true.
//
// Every mem URI with the same name opens the same store, for as long as
// the process lives.
func Open(ctx context.Context, uri string) (Store, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("upload: store URI %q: %w", uri, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("upload: store URI %q: %s", uri, fmt.Sprintf(format, args...))
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, bad("file URIs name a local path: file:///path (host %q given)", u.Host)
		}
		if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
			return nil, bad("the path must be absolute: file:///path")
		}
		if u.RawQuery != "" {
			return nil, bad("file URIs take no query parameters")
		}
		return NewLocal(u.Path)
	case "s3":
		if u.Host == "" {
			return nil, bad("no bucket: s3://bucket/prefix")
		}
		opts := S3Options{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
		if v := os.Getenv("EVODB_S3_PATH_STYLE"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("upload: EVODB_S3_PATH_STYLE=%q is not a boolean", v)
			}
			opts.UsePathStyle = b
		}
		if err := ApplyS3Query(&opts, u.Query()); err != nil {
			return nil, bad("%v", err)
		}
		s, err := NewS3(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("upload: store URI %q: %w", uri, err)
		}
		return s, nil
	case "mem":
		if u.Host == "" {
			return nil, bad("no name: mem://name")
		}
		if u.RawQuery != "" {
			return nil, bad("mem URIs take no query parameters")
		}
		m := namedMemory(u.Host)
		prefix := strings.Trim(u.Path, "/")
		if prefix == "" {
			return m, nil
		}
		return Sub(m, prefix)
	case "":
		return nil, bad("no scheme (file://, s3:// or mem://)")
	default:
		return nil, bad("unknown scheme %q (file, s3 or mem)", u.Scheme)
	}
}

var memories struct {
	sync.Mutex
	m map[string]*Memory
}

func namedMemory(name string) *Memory {
	memories.Lock()
	defer memories.Unlock()
	if memories.m == nil {
		memories.m = make(map[string]*Memory)
	}
	m, ok := memories.m[name]
	if !ok {
		m = NewMemory()
		memories.m[name] = m
	}
	return m
}

// Sub returns a view of s in which key k is s's key prefix+"/"+k.
func Sub(s Store, prefix string) (Store, error) {
	prefix = strings.Trim(prefix, "/")
	if err := ValidateKey(prefix); err != nil {
		return nil, fmt.Errorf("upload: sub-store prefix: %w", err)
	}
	return &subStore{s: s, p: prefix + "/"}, nil
}

type subStore struct {
	s Store
	p string
}

func (s *subStore) strip(info ObjectInfo) ObjectInfo {
	info.Key = strings.TrimPrefix(info.Key, s.p)
	return info
}

func (s *subStore) Put(ctx context.Context, key string, data []byte, opts PutOptions) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	info, err := s.s.Put(ctx, s.p+key, data, opts)
	return s.strip(info), err
}

func (s *subStore) Create(ctx context.Context, key string, opts PutOptions) (Writer, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	w, err := s.s.Create(ctx, s.p+key, opts)
	if err != nil {
		return nil, err
	}
	return subWriter{w, s}, nil
}

type subWriter struct {
	Writer
	s *subStore
}

func (w subWriter) Info() ObjectInfo { return w.s.strip(w.Writer.Info()) }

func (s *subStore) Get(ctx context.Context, key string) ([]byte, ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return nil, ObjectInfo{}, err
	}
	data, info, err := s.s.Get(ctx, s.p+key)
	return data, s.strip(info), err
}

func (s *subStore) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	return s.s.GetRange(ctx, s.p+key, off, length)
}

func (s *subStore) Head(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ValidateKey(key); err != nil {
		return ObjectInfo{}, err
	}
	info, err := s.s.Head(ctx, s.p+key)
	return s.strip(info), err
}

func (s *subStore) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := validatePrefix(prefix); err != nil {
		return nil, err
	}
	infos, err := s.s.List(ctx, s.p+prefix)
	for i := range infos {
		infos[i] = s.strip(infos[i])
	}
	return infos, err
}

func (s *subStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	return s.s.Delete(ctx, s.p+key)
}

// ApplyS3Query sets the S3 options an s3:// URI's query names: endpoint,
// region and path_style (a boolean); the last value of a repeated parameter
// wins. An unknown parameter or a path_style that is not a boolean is an
// error naming it.
func ApplyS3Query(opts *S3Options, q url.Values) error {
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "endpoint":
			opts.Endpoint = v
		case "region":
			opts.Region = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("path_style=%q is not a boolean", v)
			}
			opts.UsePathStyle = b
		default:
			return fmt.Errorf("unknown parameter %q (known: endpoint, region, path_style)", k)
		}
	}
	return nil
}
