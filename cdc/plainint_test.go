package cdc

import (
	"strconv"
	"testing"
)

// plainIntRef is plainInt's contract written plainly: the digits at
// text[i] (1 to 18 of them, no leading zero, no sign) followed by ',' or
// '}'.
func plainIntRef(text []byte, i int) (int64, int, bool) {
	j := i
	for j < len(text) && text[j] >= '0' && text[j] <= '9' {
		j++
	}
	n := j - i
	if n == 0 || n > 18 || (text[i] == '0' && n > 1) || j >= len(text) || (text[j] != ',' && text[j] != '}') {
		return 0, 0, false
	}
	v, err := strconv.ParseInt(string(text[i:j]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return v, j, true
}

func TestPlainInt(t *testing.T) {
	tests := []string{
		"0,", "7}", "12,", "213,\"producer\"", "1234567,", "12345678,", "123456789}", "1767225600000087,",
		"17672256000000871,", "176722560000008712}", "1767225600000087123,", "12345678901234567890123456,",
		"01,", "00}", "-1,", "1", "12", "12345678", "1234567x", "12345678 ,", "1.5,", "1e3,", ",", "",
		"99999999999999999,", "999999999999999999}", "1000000000000000000,", "4805}}", "377}}}}}}}}}}",
	}
	for _, in := range tests {
		for _, pad := range []string{"", "\"data\":{}}"} {
			text := []byte(in + pad)
			v, end, ok := plainInt(text, 0)
			wv, wend, wok := plainIntRef(text, 0)
			if v != wv || end != wend || ok != wok {
				t.Errorf("plainInt(%q) = %d, %d, %v; want %d, %d, %v", text, v, end, ok, wv, wend, wok)
			}
		}
	}
}

func FuzzPlainInt(f *testing.F) {
	f.Add([]byte(`"lsn":1767225600000087,"data"`), uint8(6))
	f.Add([]byte(`12345678901234567,`), uint8(0))
	f.Add([]byte(`9}`), uint8(0))
	f.Fuzz(func(t *testing.T, text []byte, at uint8) {
		i := int(at)
		if i >= len(text) {
			return
		}
		v, end, ok := plainInt(text, i)
		wv, wend, wok := plainIntRef(text, i)
		if v != wv || end != wend || ok != wok {
			t.Fatalf("plainInt(%q, %d) = %d, %d, %v; want %d, %d, %v", text, i, v, end, ok, wv, wend, wok)
		}
	})
}
