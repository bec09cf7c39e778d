//go:build !linux

package upload

import (
	"errors"
	"os"
)

var errNoXattr = errors.New("extended attributes not used on this system")

func xattrUnsupported(err error) bool { return errors.Is(err, errNoXattr) }

func setFileXattr(*os.File, string, []byte) error { return errNoXattr }

func fileXattr(*os.File, string, []byte) ([]byte, bool, error) { return nil, false, nil }
