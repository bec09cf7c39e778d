package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
)

// TestLoadS3 loads into a table on a versitygw server, the way an R2 or S3
// table is reached: endpoint and path style by flag or EVODB_S3_*,
// credentials from the AWS environment.
func TestLoadS3(t *testing.T) {
	if !canExec(t) {
		t.Skip(noBinary) // the AWS environment is the process's
	}
	gw := uploadtest.SharedGateway(t)
	bucket, err := gw.NewBucket(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "o.jsonl")
	ok(t, runOpts{}, "gen", "--rows", "5000", "--out", data)
	env := []string{
		"AWS_ACCESS_KEY_ID=" + gw.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + gw.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"EVODB_S3_ENDPOINT=" + gw.Endpoint,
		"EVODB_S3_PATH_STYLE=true",
	}
	uri := "s3://" + bucket + "/lake/orders"
	r := ok(t, runOpts{env: env}, "load", "--table", uri, "--s3-region", gw.Region, "--batch-rows", "2000", "--json", data)
	sum := decodeSummary(t, r.stdout)
	if sum.Rows != 5000 || sum.Blocks != 3 || sum.Version != 3 {
		t.Errorf("S3 load: %+v, want 5000 rows in 3 blocks at version 3", sum)
	}

	// The table as the library sees it on the server.
	store, err := upload.NewS3(t.Context(), upload.S3Options{Bucket: bucket, Prefix: "lake/orders",
		Endpoint: gw.Endpoint, Region: gw.Region, UsePathStyle: true,
		AccessKeyID: gw.AccessKey, SecretAccessKey: gw.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := tbl.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	files, rows, size := tableTotals(t, snap)
	if int64(files) != sum.Blocks || rows != sum.Rows || size != sum.Bytes {
		t.Errorf("table holds %d files, %d rows, %d bytes; summary says %d, %d, %d", files, rows, size, sum.Blocks, sum.Rows, sum.Bytes)
	}

	// inspect reads it back through the same flags (region by env here).
	r = ok(t, runOpts{env: append(env, "EVODB_S3_REGION="+gw.Region)}, "inspect", "--table", uri, "--json")
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Table != uri || rep.Version != 3 || rep.Totals.Rows != 5000 || rep.Totals.Files != 3 {
		t.Errorf("inspect: table %s version %d %+v", rep.Table, rep.Version, rep.Totals)
	}

	// Wrong credentials: one line, exit 1.
	bad := append([]string{}, env...)
	bad[1] = "AWS_SECRET_ACCESS_KEY=wrong"
	r = evw(t, runOpts{env: bad}, "inspect", "--table", uri, "--s3-region", gw.Region)
	t.Logf("wrong secret: %s", r.stderr)
	if r.code != 1 || r.stderr == "" || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("wrong secret: exit %d, stderr %q", r.code, r.stderr)
	}
}
