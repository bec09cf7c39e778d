package manifest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
)

// TestCommitNamesTheBadAction: a commit refused for one of its actions
// names that action by its index in the caller's list (not counting the
// commitInfo Commit adds), whatever is wrong with it.
func TestCommitNamesTheBadAction(t *testing.T) {
	ctx := context.Background()
	tbl := newTable(t, upload.NewMemory())
	good := addAction("data/a.parquet", 1)
	for _, tc := range []struct {
		name    string
		actions []manifest.Action
		want    string
	}{
		{"empty action", []manifest.Action{good, {}}, "action 1: an action must have exactly one field set, it has 0"},
		{"two fields", []manifest.Action{{Add: good.Add, Txn: &manifest.Txn{AppID: "p", Version: 1}}}, "action 0: an action must have exactly one field set, it has 2"},
		{"empty txn", []manifest.Action{good, {Txn: &manifest.Txn{}}}, "action 1: txn has an empty appId"},
	} {
		_, err := tbl.Commit(ctx, nil, tc.actions, manifest.CommitOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Commit = %v; want an error with %q", tc.name, err, tc.want)
		}
	}
	s, err := tbl.Snapshot(ctx)
	if err != nil || s.Version() != 0 {
		t.Fatalf("after refused commits: version %v, %v; want 0", s, err)
	}
}
