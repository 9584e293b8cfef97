package wire

import (
	"reflect"
	"testing"
)

func TestStamped(t *testing.T) {
	var when uint64 = 0x1_2345_6789 // past 32 bits: both words count
	lo, hi := int32(uint32(when)), int32(uint32(when>>32))
	for _, tc := range []struct {
		name     string
		data     []int32
		want     uint64
		wantRest []int32
		ok       bool
	}{
		{"time and targets", []int32{lo, hi, 7, 9}, when, []int32{7, 9}, true},
		{"time alone", []int32{lo, hi}, when, []int32{}, true},
		{"too short", []int32{lo}, 0, []int32{lo}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Through the wire format, as the init sends it.
			m, err := DecodeMessage(Message{Type: MsgSent, Data: tc.data}.Encode())
			if err != nil {
				t.Fatal(err)
			}
			got, rest, ok := m.Stamped()
			if got != tc.want || ok != tc.ok || !reflect.DeepEqual(rest, tc.wantRest) {
				t.Fatalf("Stamped() = %#x, %v, %v; want %#x, %v, %v", got, rest, ok, tc.want, tc.wantRest, tc.ok)
			}
		})
	}
}
