// Command evodb-writer loads CDC streams into Delta Lake tables, serves the
// writer over HTTP, and maintains and inspects tables.
//
// Usage:
//
//	evodb-writer <command> [flags] [arguments]
//
// Commands:
//
//	load      load JSON lines or binary batch files (or stdin) into a table
//	demo      generate a sample CDC stream into a local table and show it
//	gen       write a sample CDC stream (JSON lines or binary) to stdout
//	inspect   show a table's snapshot: version, schema, files, stats
//	compact   merge small blocks into large ones
//	vacuum    delete files no snapshot within the retention needs
//	serve     run the HTTP ingest service
//	version   print the version
//
// Every command takes --help. Tables are named by URI: file:///path (or a
// plain path), s3://bucket/prefix. Flags may also be set from the
// environment (EVODB_TABLE, EVODB_MODE, EVODB_COMPRESSION, EVODB_TOKEN, ...);
// a flag on the command line wins. Errors are printed as one line on stderr;
// the exit status is 1 for a failure and 2 for a usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

const progName = "evodb-writer"

// env is the process environment as the commands see it (tests replace it).
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stdoutTTY and stderrTTY say whether the progress bar may be drawn.
	stdoutTTY, stderrTTY bool
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"load", "load JSON lines or binary batch files (or stdin) into a table", runLoad},
		{"demo", "generate a sample CDC stream into a local table and show it", runDemo},
		{"gen", "write a sample CDC stream (JSON lines or binary) to stdout or a file", runGen},
		{"inspect", "show a table's snapshot: version, schema, files, stats", runInspect},
		{"compact", "merge small blocks of a table into large ones", runCompact},
		{"vacuum", "delete files that no snapshot within the retention needs", runVacuum},
		{"serve", "run the HTTP ingest service (durable acks, flushes, compaction)", runServe},
		{"version", "print the version of this program", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdin:     os.Stdin,
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		mainUsage(e.stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" {
			return run(ctx, e, []string{args[1], "--help"})
		}
		mainUsage(e.stdout)
		return 0
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, e, args[1:])
		return report(e.stderr, c.name, err)
	}
	fmt.Fprintf(e.stderr, "%s: unknown command %q (run %s --help for the list)\n", progName, name, progName)
	return 2
}

// report prints err as one line and returns the exit status it means.
func report(w io.Writer, cmd string, err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	msg := oneLine(err.Error())
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "%s %s: %s (see %s %s --help)\n", progName, cmd, msg, progName, cmd)
		return 2
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "%s %s: interrupted: %s\n", progName, cmd, strings.TrimPrefix(msg, context.Canceled.Error()+": "))
		return 130
	}
	fmt.Fprintf(w, "%s %s: %s\n", progName, cmd, msg)
	return 1
}

// oneLine folds a multi-line message (joined errors) into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\n", "; ")
}

func mainUsage(w io.Writer) {
	fmt.Fprintf(w, "%s carries CDC streams into Delta Lake tables as Parquet blocks.\n\n", progName)
	fmt.Fprintf(w, "Usage:\n  %s <command> [flags] [arguments]\n\nCommands:\n", progName)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Tables are named by URI: file:///path/to/table (or a plain path), or
s3://bucket/prefix (endpoint, region and credentials from the AWS environment
or the --s3-* flags; Cloudflare R2 works the same way).

Run '%s <command> --help' for a command's flags and environment variables.
Start with '%s demo'.
`, progName, progName)
}

// version is set by the linker (-ldflags "-X main.version=v1.2.3"); when it
// is empty the module's build information is used.
var version string

func versionString() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" && ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty, goVersion string
	if ok {
		goVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
	}
	out := progName + " " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " (" + rev + dirty + ")"
	}
	if goVersion != "" {
		out += " " + goVersion
	}
	return out
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("version", "", "Prints the version of this program, its source revision and the Go version it was built with.")
	pos, err := parseFlags(fs, e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintln(e.stdout, versionString())
	return nil
}
