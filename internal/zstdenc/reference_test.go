package zstdenc

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The readers of our Parquet files (DuckDB, Spark, arrow) decompress
// with the reference zstd library, which is stricter in places than the
// klauspost decoder the other tests use. These tests decode our frames
// with the reference command line tool.

// refTool returns the path of the zstd command line tool. Without it
// the test is skipped, except under CI (CI set), where it fails:
// scripts/setup.sh installs it there.
func refTool(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("zstd")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the zstd command line tool is missing (scripts/setup.sh installs it): %v", err)
		}
		t.Skip("the zstd command line tool is not installed (apt-get install zstd, or run scripts/setup.sh): frames not checked against the reference decoder")
	}
	return path
}

// refCase is one input of the reference corpus.
type refCase struct {
	name string
	src  []byte
}

// refCheck encodes every case with encode and decodes the frames with the
// reference decoder: all of them at once, one file of concatenated
// frames (the tool decodes it to the concatenated inputs); where that
// fails, each frame alone, to name the inputs it fails on.
func refCheck(t *testing.T, tool string, encode func([]byte) []byte, cases []refCase) {
	t.Helper()
	dir := t.TempDir()
	var all, want []byte
	frames := make([][]byte, len(cases))
	for i, c := range cases {
		frames[i] = encode(c.src)
		all = append(all, frames[i]...)
		want = append(want, c.src...)
	}
	got, err := refDecode(tool, filepath.Join(dir, "all.zst"), all)
	if err == nil && bytes.Equal(got, want) {
		return
	}
	bad := 0
	for i, c := range cases {
		got, err := refDecode(tool, filepath.Join(dir, fmt.Sprintf("%d.zst", i)), frames[i])
		switch {
		case err != nil:
			t.Errorf("%s (%d bytes, frame of %d): the reference decoder rejects the frame: %v", c.name, len(c.src), len(frames[i]), err)
		case !bytes.Equal(got, c.src):
			t.Errorf("%s (%d bytes, frame of %d): the reference decoder reads other bytes: %s", c.name, len(c.src), len(frames[i]), firstDiff(got, c.src))
		default:
			continue
		}
		if bad++; bad == 10 {
			t.Fatal("more failing inputs not listed")
		}
	}
	if bad == 0 {
		t.Fatalf("the batch of %d frames fails (%v) but each frame alone decodes", len(cases), err)
	}
}

// refDecode writes frames to path and decodes it with zstd -d -c.
func refDecode(tool, path string, frames []byte) ([]byte, error) {
	if err := os.WriteFile(path, frames, 0o600); err != nil {
		return nil, err
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(tool, "-d", "-c", "-q", path)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// skewed draws n bytes with counts following the Fibonacci numbers
// (shuffled, so that few matches form): the Huffman tree of such
// literals is as deep as the table log allows.
func skewed(r *rand.Rand, n, symbols int) []byte {
	w := []int{1, 1}
	for len(w) < symbols {
		w = append(w, w[len(w)-1]+w[len(w)-2])
	}
	total := 0
	for _, x := range w {
		total += x
	}
	b := make([]byte, 0, n)
	for s, x := range w {
		k := max(x*n/total, 1)
		for range k {
			b = append(b, byte(s*7+1))
		}
	}
	r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	for len(b) < n {
		b = append(b, b[r.IntN(len(b))])
	}
	return b[:n]
}

// repeats copies units from a few distances back, with no literals in
// between where noLits, so that sequences come with a literal length of
// zero and offsets that the repeat history holds (including the first
// repeat offset minus one: distances 48 and 47).
func repeats(r *rand.Rand, n int, noLits bool) []byte {
	src := randomBytes(r, 256)
	dists := []int{16, 48, 112, 47, 111, 200}
	for len(src) < n {
		if !noLits && r.IntN(2) == 0 {
			src = append(src, randomBytes(r, 1+r.IntN(3))...)
		}
		from := len(src) - dists[r.IntN(len(dists))]
		for i := range 6 + r.IntN(12) {
			src = append(src, src[from+i])
		}
	}
	return src[:n]
}

// varied mixes matches of many lengths and offsets with literal runs of
// many lengths, so that every code stream has a spread of codes (the
// block's own FSE tables where the encoder builds them) and long
// lengths with many extra bits.
func varied(r *rand.Rand, n int) []byte {
	src := text(r, 1024)
	for len(src) < n {
		src = append(src, randomBytes(r, int(r.ExpFloat64()*20))...)
		d := 1 + min(int(r.ExpFloat64()*float64(len(src))/8), len(src)-1)
		from := len(src) - d
		for i := range 4 + int(r.ExpFloat64()*60) {
			src = append(src, src[from+i])
		}
	}
	return src[:n]
}

// markedPeriod repeats a unit of 64 bytes below 128 and overwrites a
// byte every 400 to 600 bytes with a marker of 128 or more: one value
// for all where same (and the last 8 bytes of each block, which the
// encoder leaves to literals), else a counter.
func markedPeriod(r *rand.Rand, n int, same bool) []byte {
	unit := randomBytes(r, 64)
	for i := range unit {
		unit[i] &= 0x7f
	}
	b := bytes.Repeat(unit, n/64+1)[:n]
	for i, k := 400+r.IntN(200), 0; i < n; i, k = i+400+r.IntN(200), k+1 {
		b[i] = 0xc0
		if !same {
			b[i] = 0x80 | byte(k)
		}
	}
	if same {
		// the last bytes of a block are literals: markers too
		for end := min(maxBlockSize, n); ; end = min(end+maxBlockSize, n) {
			copy(b[max(end-8, 0):end], bytes.Repeat([]byte{0xc0}, 8))
			if end == n {
				break
			}
		}
	}
	return b
}

// sparseCodes is 6-byte matches between 3 to 5 random bytes, with
// 70,000 random bytes copied once (a match length code near 52) or left
// as the literals of one sequence (literal length code 35).
func sparseCodes(r *rand.Rand, longLiterals bool) []byte {
	long := randomBytes(r, 70_000)
	src := slices.Clone(long)
	if longLiterals {
		src = src[:66_000]
	}
	for len(src) < 120_000 {
		src = append(src, randomBytes(r, 3+r.IntN(3))...)
		src = append(src, "ABCDEF"...)
	}
	if !longLiterals {
		src = append(src, long...)
	}
	return src
}

// refCorpus is the inputs checked against the reference decoder: sizes
// at the frame header's and the block's boundaries, one and several
// blocks, raw, RLE and compressed blocks, each literals section format,
// repeat offsets after zero literals, skewed literals (deep Huffman
// trees), the fuzz seeds.
func refCorpus(short bool) []refCase {
	r := rand.New(rand.NewPCG(2026, 11))
	const blk = maxBlockSize
	var cs []refCase
	add := func(name string, src []byte) { cs = append(cs, refCase{name, src}) }
	add("empty", nil)
	add("one byte", []byte{0x5a})
	add("two bytes", []byte{1, 2})
	for _, n := range []int{3, 7, 8, 9, 31, 32, 33, 100} {
		add(fmt.Sprintf("text %d", n), text(r, n))
	}
	for _, n := range []int{2, 100, blk - 1, blk, blk + 1, 2*blk + 5} {
		add(fmt.Sprintf("all same %d", n), bytes.Repeat([]byte{0xee}, n))
	}
	// Frame_Content_Size: 1 byte below 256, 2 bytes (less 256) below
	// 65,792, 4 bytes above
	for _, n := range []int{255, 256, 257, 1023, 1024, 1025, 4095, 4096, 16383, 16384, 65535, 65536, 65537, 65791, 65792, 65793} {
		add(fmt.Sprintf("text %d", n), text(r, n))
		add(fmt.Sprintf("column %d", n), columnLike(r, n))
	}
	for _, n := range []int{1, 31, 32, 1000, 4096, 65536, blk - 1, blk, blk + 1, 200_000} {
		add(fmt.Sprintf("random %d", n), randomBytes(r, n))
	}
	for _, n := range []int{blk - 1, blk, blk + 1, 2*blk - 1, 2 * blk, 3*blk + 7} {
		add(fmt.Sprintf("column %d", n), columnLike(r, n))
		add(fmt.Sprintf("varied %d", n), varied(r, n))
	}
	add("same then random", append(bytes.Repeat([]byte{9}, blk), randomBytes(r, 1000)...))
	add("random then same", append(randomBytes(r, blk), bytes.Repeat([]byte{9}, blk+3)...))
	add("random then text", append(randomBytes(r, blk+100), text(r, blk)...))
	add("text, random, text", slices.Concat(text(r, blk), randomBytes(r, blk), text(r, blk)))
	for _, n := range []int{300, 5000, 60_000, blk + 10_000} {
		add(fmt.Sprintf("repeats %d", n), repeats(r, n, false))
		add(fmt.Sprintf("repeats without literals %d", n), repeats(r, n, true))
	}
	for _, n := range []int{40, 1000, 1100, 20_000, 70_000, blk + 1} {
		for _, k := range []int{3, 12, 20, 40} {
			add(fmt.Sprintf("skewed %d of %d symbols", n, k), skewed(r, n, k))
		}
	}
	for _, n := range []int{50, 500, 5000, 50_000} {
		add(fmt.Sprintf("varied %d", n), varied(r, n))
	}
	// periodic data: one offset for the whole block (RLE offset codes)
	for _, p := range []int{1, 2, 3, 4, 7, 64, 1000} {
		unit := randomBytes(r, p)
		add(fmt.Sprintf("period %d", p), bytes.Repeat(unit, 40_000/p+1))
	}
	// a period broken by a marker byte every 400-600 bytes: past the
	// first block every sequence is one literal and a match at the
	// repeat offset (RLE offset codes); with one marker value for all,
	// the literals are RLE
	add("marked period, counter markers", markedPeriod(r, 3*blk, false))
	add("marked period, one marker", markedPeriod(r, 3*blk, true))
	// code histograms with long runs of absent codes between present
	// ones (the table description's repeat flags), literal length code
	// 35 and match length codes near 52
	add("sparse codes, long match", sparseCodes(r, false))
	add("sparse codes, long literals", sparseCodes(r, true))
	for i, s := range fuzzSeeds {
		add(fmt.Sprintf("fuzz seed %d", i), fuzzInput(s.src, s.repeat))
	}
	if !short {
		add("text 1M", text(r, 1<<20))
		add("column 1M", columnLike(r, 1<<20))
		add("varied 1M", varied(r, 1<<20))
	}
	return cs
}

// TestReferenceDecoder decodes the frames of the reference corpus with
// the reference decoder, with one encoder reused across all of them and
// with a fresh one each.
func TestReferenceDecoder(t *testing.T) {
	tool := refTool(t)
	cases := refCorpus(testing.Short())
	t.Run("reused encoder", func(t *testing.T) {
		var e Encoder
		refCheck(t, tool, func(src []byte) []byte { return e.EncodeAll(nil, src) }, cases)
	})
	t.Run("fresh encoders", func(t *testing.T) {
		if testing.Short() {
			t.Skip("with -short, only the reused encoder (TestRoundTrip checks that a fresh one writes the same frames)")
		}
		refCheck(t, tool, func(src []byte) []byte {
			var e Encoder
			return e.EncodeAll(nil, src)
		}, cases)
	})
}

// TestReferenceDecoderRandom is a seeded randomized run through the
// reference decoder: inputs of random sizes made of random pieces
// (random bytes, text, runs, copies from earlier at random distances,
// skewed bytes), in batches.
func TestReferenceDecoderRandom(t *testing.T) {
	tool := refTool(t)
	rounds, perRound := 8, 40
	if testing.Short() {
		rounds = 2
	}
	r := rand.New(rand.NewPCG(77, 2026))
	var e Encoder
	for round := range rounds {
		var cases []refCase
		for i := range perRound {
			n := int(r.ExpFloat64() * 20_000)
			if i%10 == 0 {
				n = r.IntN(3 * maxBlockSize)
			}
			src := make([]byte, 0, n)
			for len(src) < n {
				k := 1 + r.IntN(min(n-len(src), 4000))
				switch r.IntN(6) {
				case 0:
					src = append(src, randomBytes(r, k)...)
				case 1:
					src = append(src, text(r, k)...)
				case 2:
					src = append(src, bytes.Repeat([]byte{byte(r.Uint32())}, k)...)
				case 3:
					src = append(src, skewed(r, k, 2+r.IntN(30))...)
				default:
					if len(src) == 0 {
						continue
					}
					from := r.IntN(len(src))
					for j := range k {
						src = append(src, src[from+j])
					}
				}
			}
			cases = append(cases, refCase{fmt.Sprintf("round %d input %d", round, i), src[:n]})
		}
		refCheck(t, tool, func(src []byte) []byte { return e.EncodeAll(nil, src) }, cases)
	}
}

// frameFeatures lists what a frame uses, read from its headers: the
// Frame_Content_Size field's size, each block's type, each literals
// section's type and size format, each sequences section's count size
// and symbol compression modes. It returns an error where the frame is
// not laid out as RFC 8878 describes.
func frameFeatures(frame []byte, seen map[string]int) error {
	if len(frame) < 6 || frame[0] != 0x28 || frame[1] != 0xb5 || frame[2] != 0x2f || frame[3] != 0xfd {
		return fmt.Errorf("no magic number")
	}
	fhd := frame[4]
	single := fhd>>5&1 == 1
	fcs := [4]int{0, 2, 4, 8}[fhd>>6]
	if fcs == 0 && single {
		fcs = 1
	}
	seen[fmt.Sprintf("frame content size in %d bytes", fcs)]++
	p := 5 + fcs + [4]int{0, 1, 2, 4}[fhd&3]
	if !single {
		seen["window descriptor"]++
		p++
	}
	blocks := 0
	for {
		if p+3 > len(frame) {
			return fmt.Errorf("block header at %d past the frame's end", p)
		}
		h := int(frame[p]) | int(frame[p+1])<<8 | int(frame[p+2])<<16
		p += 3
		last, typ, size := h&1 == 1, h>>1&3, h>>3
		blocks++
		seen[[]string{"raw block", "RLE block", "compressed block", "reserved block"}[typ]]++
		n := size
		if typ == blockRLE {
			n = 1
		}
		if p+n > len(frame) {
			return fmt.Errorf("block of %d bytes at %d past the frame's end", n, p)
		}
		if typ == blockCompressed {
			if err := blockFeatures(frame[p:p+n], seen); err != nil {
				return fmt.Errorf("block %d: %v", blocks, err)
			}
		}
		p += n
		if last {
			break
		}
	}
	if blocks > 1 {
		seen["several blocks"]++
	}
	if p != len(frame) {
		return fmt.Errorf("%d bytes after the last block", len(frame)-p)
	}
	return nil
}

func blockFeatures(b []byte, seen map[string]int) error {
	typ, sf := b[0]&3, b[0]>>2&3
	var hdr, size int
	switch {
	case typ < 2:
		switch sf {
		case 0, 2:
			hdr, size = 1, int(b[0]>>3)
		case 1:
			hdr, size = 2, int(b[0]>>4)|int(b[1])<<4
		default:
			hdr, size = 3, int(b[0]>>4)|int(b[1])<<4|int(b[2])<<12
		}
		if typ == 1 {
			size = 1
		}
		seen[fmt.Sprintf("%s literals, %d-byte header", []string{"raw", "RLE"}[typ], hdr)]++
	default:
		hdr = []int{3, 3, 4, 5}[sf]
		var h uint64
		for i := range hdr {
			h |= uint64(b[i]) << (8 * i)
		}
		bitsN := []uint{10, 10, 14, 18}[sf]
		size = int(h >> (4 + bitsN) & (1<<bitsN - 1))
		streams := 4
		if sf == 0 {
			streams = 1
		}
		seen[fmt.Sprintf("%s literals, %d stream(s), %d-bit sizes", []string{"", "", "Huffman", "treeless"}[typ], streams, bitsN)]++
	}
	p := hdr + size
	if p >= len(b) {
		return fmt.Errorf("literals section of %d bytes leaves no sequences section in %d", p, len(b))
	}
	switch c := b[p]; {
	case c == 0:
		seen["no sequences"]++
		return nil
	case c < 128:
		seen["sequences count in 1 byte"]++
		p++
	case c < 255:
		seen["sequences count in 2 bytes"]++
		p += 2
	default:
		seen["sequences count in 3 bytes"]++
		p += 3
	}
	modes := b[p]
	if modes&3 != 0 {
		return fmt.Errorf("reserved bits of the symbol compression modes set: %#x", modes)
	}
	names := []string{"predefined", "RLE", "FSE compressed", "repeat"}
	seen["literal lengths "+names[modes>>6]]++
	seen["offsets "+names[modes>>4&3]]++
	seen["match lengths "+names[modes>>2&3]]++
	return nil
}

// TestReferenceCorpusCoverage checks that the reference corpus reaches
// the header fields and section formats the encoder can write. RLE
// literals (32 or more literals of one value in a block) and RLE offset
// codes depend on the match finder's choices, and are only logged.
func TestReferenceCorpusCoverage(t *testing.T) {
	seen := map[string]int{}
	var e Encoder
	for _, c := range refCorpus(true) {
		if err := frameFeatures(e.EncodeAll(nil, c.src), seen); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	for _, f := range []string{
		"frame content size in 1 bytes", "frame content size in 2 bytes", "frame content size in 4 bytes",
		"raw block", "RLE block", "compressed block", "several blocks",
		"raw literals, 1-byte header", "raw literals, 2-byte header", "raw literals, 3-byte header",
		"Huffman literals, 1 stream(s), 10-bit sizes", "Huffman literals, 4 stream(s), 14-bit sizes", "Huffman literals, 4 stream(s), 18-bit sizes",
		"no sequences", "sequences count in 1 byte", "sequences count in 2 bytes",
		"literal lengths predefined", "offsets predefined", "match lengths predefined",
		"literal lengths RLE", "match lengths RLE",
		"literal lengths FSE compressed", "offsets FSE compressed", "match lengths FSE compressed",
	} {
		if seen[f] == 0 {
			t.Errorf("no frame of the reference corpus has %s", f)
		}
	}
	keys := slices.Sorted(maps.Keys(seen))
	for _, k := range keys {
		t.Logf("%6d  %s", seen[k], k)
	}
}

// TestWindowReference decodes frames of inputs around the 8 MiB window
// with the reference decoder limited to 8 MB of window, what RFC 8878
// (3.1.1.1.2) recommends decoders support: an input of 8 MiB is a
// Single_Segment frame (its window is its size), larger ones declare a
// window of 8 MiB and match no further back, even where the input
// repeats from further back (before, a 9 MiB input made a 9 MiB window
// that decoder refused, and a 512 MiB one took an offset code past the
// predefined distribution). Skipped with -short (9 to 512 MiB inputs).
func TestWindowReference(t *testing.T) {
	if testing.Short() {
		t.Skip("inputs of 8 to 512 MiB: skipped with -short")
	}
	tool := refTool(t)
	r := rand.New(rand.NewPCG(29, 29))
	far := func(n, dist int) []byte {
		x := randomBytes(r, 64)
		src := make([]byte, n)
		copy(src, x)
		copy(src[dist:], x)
		copy(src[dist+64:], text(r, 1000))
		return src
	}
	tests := []struct {
		name string
		src  []byte
	}{
		{"8 MiB", varied(r, maxWindow)},
		{"8 MiB + 1", varied(r, maxWindow+1)},
		{"repeat from 8 MiB + 1 back", far(maxWindow+1+2000, maxWindow+1)},
		{"repeat from 8 MiB back", far(maxWindow+2000, maxWindow)},
		{"repeat from 9 MiB back", far(9<<20+2000, 9<<20)},
		{"repeat from 512 MiB back", far(1<<29+2000, 1<<29)},
	}
	var e Encoder
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame := e.EncodeAll(nil, tc.src)
			seen := map[string]int{}
			if err := frameFeatures(frame, seen); err != nil {
				t.Fatal(err)
			}
			if single := seen["window descriptor"] == 0; single != (len(tc.src) <= maxWindow) {
				t.Errorf("%d bytes: Single_Segment %v", len(tc.src), single)
			}
			path := filepath.Join(t.TempDir(), "w.zst")
			if err := os.WriteFile(path, frame, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tool, "-d", "-c", "-q", "--memory=8MB", path)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			n, copyErr := io.Copy(h, out)
			if err := cmd.Wait(); err != nil || copyErr != nil {
				t.Fatalf("the reference decoder with an 8 MB window rejects the frame: %v %v: %s", err, copyErr, strings.TrimSpace(errb.String()))
			}
			if want := sha256.Sum256(tc.src); n != int64(len(tc.src)) || !bytes.Equal(h.Sum(nil), want[:]) {
				t.Fatalf("the reference decoder reads %d other bytes (want %d)", n, len(tc.src))
			}
		})
	}
}
