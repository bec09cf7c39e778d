package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/evodb/writer/server"
)

// A producer sends a batch of two entries; the answer acknowledges LSN 2,
// durable in the write-ahead log. Shutdown commits it to the table.
func Example() {
	dir, _ := os.MkdirTemp("", "evodb-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := server.New(ctx, server.Config{
		DataDir: dir, // write-ahead log in dir/wal, tables in dir/tables
		Token:   "secret",
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := httptest.NewServer(s.Handler()) // or s.ListenAndServe(ctx)
	defer ts.Close()

	body := `{"op":"INSERT","data":{"id":1,"kind":"click"},"lsn":1}
{"op":"INSERT","data":{"id":2,"kind":"view"},"lsn":2}
`
	req, _ := http.NewRequest("POST", ts.URL+"/v1/tables/events/cdc", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("Content-Type", server.ContentTypeJSONLines)
	req.Header.Set(server.ProducerHeader, "db-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	ack, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(ack))

	if err := s.Shutdown(ctx); err != nil { // flushes and commits
		fmt.Println(err)
	}
	_, err = os.Stat(dir + "/tables/events/_delta_log/00000000000000000001.json")
	fmt.Println("committed:", err == nil)
	// Output:
	// 200 {"table":"events","accepted":2,"duplicates":0,"acked":{"db-1":2},"lsn":2}
	// committed: true
}
