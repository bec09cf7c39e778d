package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// chartDir is where the SVG charts go (dir) and how the report links to
// them (rel, relative to the report).
type chartDir struct {
	dir, rel string
}

// draw writes the chart of one table and returns the link to it. Cases
// named w=<bit width> become a line chart over the width, cases named
// rows=<rows per block> a line chart over the block size (logarithmic),
// anything else a grouped bar chart (one group per case, one bar per
// implementation).
func (c *chartDir) draw(section string, t table) (string, error) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return "", err
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %s (%s)", section, t.Base, direction(t.Unit))
	p.Y.Label.Text = t.Unit
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	width := 8 * vg.Inch
	if xs, ok := numericCases(t.Cases); ok {
		switch xs.key {
		case "w":
			p.X.Label.Text = "bit width"
		case "rows":
			p.X.Label.Text = "rows per block (ours) or row group (peers)"
			p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, powersOfTwo{}
		default:
			p.X.Label.Text = xs.key
		}
		for i, impl := range t.Impls {
			var xys plotter.XYs
			for j, cas := range t.Cases {
				if v, ok := t.Series[[2]string{cas, impl}]; ok {
					xys = append(xys, plotter.XY{X: float64(xs.vals[j]), Y: v})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, s, err := plotter.NewLinePoints(xys)
			if err != nil {
				return "", err
			}
			l.Color, s.Color, s.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
			p.Add(l, s)
			p.Legend.Add(label(impl), l, s)
		}
	} else {
		bar := vg.Points(math.Max(3, math.Min(14, 360/float64(len(t.Cases)*len(t.Impls)))))
		for i, impl := range t.Impls {
			vals := make(plotter.Values, len(t.Cases))
			for j, cas := range t.Cases {
				vals[j] = t.Series[[2]string{cas, impl}] // 0 where not measured
			}
			bc, err := plotter.NewBarChart(vals, bar)
			if err != nil {
				return "", err
			}
			bc.Color = plotutil.Color(i)
			bc.LineStyle.Width = 0
			bc.Offset = bar*vg.Length(i) - bar*vg.Length(len(t.Impls)-1)/2
			p.Add(bc)
			p.Legend.Add(label(impl), bc)
		}
		names := make([]string, len(t.Cases))
		for i, cas := range t.Cases {
			names[i] = orDash(cas)
		}
		p.NominalX(names...)
		if len(names) > 6 {
			p.X.Tick.Label.Rotation = math.Pi / 5
			p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = -1, -0.5
		}
	}
	// From zero, with room above the data for the legend.
	p.Y.Min = 0
	p.Y.Max *= 1.3
	name := fmt.Sprintf("%s-%s-%s.svg", section, t.Base, strings.NewReplacer("/", "-per-").Replace(t.Unit))
	if err := p.Save(width, 4*vg.Inch, filepath.Join(c.dir, name)); err != nil {
		return "", err
	}
	return filepath.ToSlash(filepath.Join(c.rel, name)), nil
}

// caseValues are the numbers of cases all named <key>=<integer>.
type caseValues struct {
	key  string
	vals []int
}

// numericCases returns the numbers of cases that are all named
// <key>=<positive integer> with one key, w (bit width) or rows (rows per
// block); a line chart shows them.
func numericCases(cases []string) (caseValues, bool) {
	var cv caseValues
	for _, cas := range cases {
		k, v, ok := strings.Cut(cas, "=")
		if !ok || (k != "w" && k != "rows") || (cv.key != "" && k != cv.key) {
			return caseValues{}, false
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return caseValues{}, false
		}
		cv.key = k
		cv.vals = append(cv.vals, n)
	}
	return cv, len(cases) > 0
}

// powersOfTwo marks the powers of two within an axis's range, labelled
// 1k, 4k, 64k, 1M and so on (for the block size axis).
type powersOfTwo struct{}

func (powersOfTwo) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for v := 1.0; v <= hi; v *= 2 {
		if v < lo {
			continue
		}
		t := plot.Tick{Value: v}
		switch n := int64(v); {
		case n >= 1<<20:
			t.Label = strconv.FormatInt(n>>20, 10) + "Mi"
		case n >= 1<<10:
			t.Label = strconv.FormatInt(n>>10, 10) + "Ki"
		default:
			t.Label = strconv.FormatInt(n, 10)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

func label(impl string) string {
	if impl == "" {
		return "ours"
	}
	return impl
}
