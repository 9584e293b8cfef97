package procfs

import (
	"fmt"
	"strconv"
	"time"
)

// tick is USER_HZ, the unit of start times: 100 a second on every Linux.
const tick = time.Second / 100

// Uptime is how long the machine has run (/proc/uptime).
func (fs FS) Uptime() (time.Duration, error) {
	path := string(fs) + "/uptime"
	var buf [64]byte
	b, err := ReadSmall(path, buf[:])
	if err != nil {
		return 0, err
	}
	f, _ := nextField(b)
	if f == nil {
		return 0, fmt.Errorf("%s: %w", path, ErrFormat)
	}
	up, err := strconv.ParseFloat(string(f), 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return time.Duration(up * float64(time.Second)), nil
}

// Age is how long process pid has run (from its start time and the
// machine's uptime).
func (fs FS) Age(pid int) (time.Duration, error) {
	st, err := fs.Stat(pid)
	if err != nil {
		return 0, err
	}
	up, err := fs.Uptime()
	if err != nil {
		return 0, err
	}
	return up - time.Duration(st.StartTime)*tick, nil
}
