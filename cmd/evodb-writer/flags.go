package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// errHelp: --help was asked for and printed.
var errHelp = errors.New("help printed")

// flagSet is a command's flags: a flag.FlagSet that also knows the
// environment variable behind each flag and prints GNU-style help.
type flagSet struct {
	*flag.FlagSet
	name     string
	synopsis string // arguments after the flags, e.g. "FILE..."
	about    string
	envOf    map[string]string // flag name -> environment variable
	fromEnv  map[string]bool   // flags set from the environment
}

func newFlagSet(name, synopsis, about string) *flagSet {
	fs := &flagSet{
		FlagSet:  flag.NewFlagSet(name, flag.ContinueOnError),
		name:     name,
		synopsis: synopsis,
		about:    about,
		envOf:    map[string]string{},
		fromEnv:  map[string]bool{},
	}
	fs.SetOutput(io.Discard)
	return fs
}

// env ties a flag to an environment variable that sets it when the command
// line does not.
func (fs *flagSet) env(flagName, variable string) {
	if fs.Lookup(flagName) == nil {
		panic("flags: env for unknown flag " + flagName)
	}
	fs.envOf[flagName] = variable
}

func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s %s [flags]", progName, fs.name)
	if fs.synopsis != "" {
		fmt.Fprintf(w, " %s", fs.synopsis)
	}
	fmt.Fprintf(w, "\n\n%s\n", strings.TrimSpace(fs.about))
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		placeholder, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if placeholder != "" {
			head += " " + placeholder
		}
		if len(head) <= 24 {
			fmt.Fprintf(w, "%-26s", head)
		} else {
			fmt.Fprintf(w, "%s\n%26s", head, "")
		}
		fmt.Fprint(w, strings.ReplaceAll(usage, "\n", "\n"+strings.Repeat(" ", 26)))
		var extra []string
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			extra = append(extra, "default "+f.DefValue)
		}
		if v := fs.envOf[f.Name]; v != "" {
			extra = append(extra, "env "+v)
		}
		if len(extra) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(extra, "; "))
		}
		fmt.Fprintln(w)
	})
}

// parseFlags parses args, allowing flags after positional arguments (as
// most command lines do); "--" ends the flags and "-" is an argument (stdin).
// Flags left unset take their environment variable's value. --help prints
// the usage to stdout and returns errHelp.
func parseFlags(fs *flagSet, e *env, args []string) ([]string, error) {
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printUsage(e.stdout)
				return nil, errHelp
			}
			return nil, &usageError{err.Error()}
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		// Parse stops at the first argument that is not a flag, or after
		// "--"; the latter makes everything after it positional.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
		args = rest
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, variable := range fs.envOf {
		if set[name] {
			continue
		}
		v := e.getenv(variable)
		if v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return nil, usagef("environment variable %s=%q: %v", variable, v, err)
		}
		fs.fromEnv[name] = true
	}
	return positional, nil
}

// durationValue accepts Go durations plus a "d" suffix for days (7d).
// When set is not nil, Set records that the flag (or its variable) was given.
type durationValue struct {
	d   *time.Duration
	set *bool
}

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	if v.set != nil {
		*v.set = true
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int64
		if _, err := fmt.Sscanf(n, "%d", &days); err != nil || fmt.Sprint(days) != n || days < 0 {
			return 0, fmt.Errorf("invalid duration %q (examples: 168h, 7d, 30m)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (examples: 168h, 7d, 30m)", s)
	}
	return d, nil
}

// parseSize reads a byte count: 1048576, 64MiB, 64MB, 512KiB, 2GiB (the
// units are powers of 1024 with or without the i).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q (examples: 64MiB, 512KiB, 1048576)", s)
	}
	return n * mult, nil
}
