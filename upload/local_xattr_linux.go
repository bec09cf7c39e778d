package upload

import (
	"errors"
	"os"
	"syscall"
	"unsafe"
)

// xattrUnsupported reports whether err says the file system keeps no
// extended attributes (or none of the user namespace).
func xattrUnsupported(err error) bool {
	return errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EPERM)
}

// setFileXattr stores value under name on the open file f.
func setFileXattr(f *os.File, name string, value []byte) error {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall6(syscall.SYS_FSETXATTR, fd, uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(unsafe.SliceData(value))), uintptr(len(value)), 0, 0)
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// fileXattr reads the value under name from the open file f into buf;
// ok is false when the file has no such attribute or the file system
// keeps none.
func fileXattr(f *os.File, name string, buf []byte) (value []byte, ok bool, err error) {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return nil, false, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, false, err
	}
	var n uintptr
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		n, _, errno = syscall.Syscall6(syscall.SYS_FGETXATTR, fd, uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(unsafe.SliceData(buf))), uintptr(len(buf)), 0, 0)
	}); err != nil {
		return nil, false, err
	}
	switch {
	case errno == syscall.ENODATA || (errno != 0 && xattrUnsupported(errno)):
		return nil, false, nil
	case errno == syscall.ERANGE:
		return nil, false, nil // not one of ours: larger than any nonce
	case errno != 0:
		return nil, false, errno
	}
	return buf[:n], true, nil
}
