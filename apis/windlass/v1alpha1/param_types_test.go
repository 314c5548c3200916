package v1alpha1

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParamValueJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    ParamValue
		out     string // re-encoded; empty means same as in
		wantErr string
	}{
		{in: `"main"`, want: ParamValue{Type: ParamTypeString, StringVal: "main"}},
		{in: `""`, want: ParamValue{Type: ParamTypeString}},
		{in: `["-v","-x"]`, want: ParamValue{Type: ParamTypeArray, ArrayVal: []string{"-v", "-x"}}},
		{in: `[]`, want: ParamValue{Type: ParamTypeArray, ArrayVal: []string{}}},
		{in: `{"os":"linux"}`, want: ParamValue{Type: ParamTypeObject, ObjectVal: map[string]string{"os": "linux"}}},
		{in: `3`, want: ParamValue{Type: ParamTypeString, StringVal: "3"}, out: `"3"`},
		// What the API server stores always decodes (else the informer stops for every run).
		{in: `[1, true, null, "x"]`, want: ParamValue{Type: ParamTypeArray, ArrayVal: []string{"1", "true", "", "x"}}, out: `["1","true","","x"]`},
		{in: `{"a":["b"],"n":2.5}`, want: ParamValue{Type: ParamTypeObject, ObjectVal: map[string]string{"a": `["b"]`, "n": "2.5"}}, out: `{"a":"[\"b\"]","n":"2.5"}`},
		{in: `[[1,2],{"k":"v"}]`, want: ParamValue{Type: ParamTypeArray, ArrayVal: []string{"[1,2]", `{"k":"v"}`}}, out: `["[1,2]","{\"k\":\"v\"}"]`},
		{in: `true`, want: ParamValue{Type: ParamTypeString, StringVal: "true"}, out: `"true"`},
		{in: `[1`, wantErr: "unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got ParamValue
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("decoded (-want +got):\n%s", diff)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.out
			if want == "" {
				want = tt.in
			}
			if string(b) != want {
				t.Fatalf("re-encoded %s, want %s", b, want)
			}
		})
	}
}

func TestParamValueDeepCopyIsIndependent(t *testing.T) {
	v := NewObject(map[string]string{"a": "1"})
	c := v.DeepCopy()
	c.ObjectVal["a"] = "2"
	a := NewArray("x")
	ac := a.DeepCopy()
	ac.ArrayVal[0] = "y"
	if v.ObjectVal["a"] != "1" || a.ArrayVal[0] != "x" {
		t.Fatal("DeepCopy shares storage with the original")
	}
}

func TestParamInAListEncodesTheBareValue(t *testing.T) {
	b, err := json.Marshal(Param{Name: "p", Value: *NewArray("a", "b")})
	if err != nil || string(b) != `{"name":"p","value":["a","b"]}` {
		t.Fatalf("got %s, %v", b, err)
	}
}

func TestEffectiveType(t *testing.T) {
	for _, tt := range []struct {
		p    ParamSpec
		want ParamType
	}{
		{ParamSpec{}, ParamTypeString},
		{ParamSpec{Type: ParamTypeArray}, ParamTypeArray},
		{ParamSpec{Properties: map[string]PropertySpec{"k": {}}}, ParamTypeObject},
		{ParamSpec{Type: ParamTypeString, Properties: map[string]PropertySpec{"k": {}}}, ParamTypeString},
	} {
		if got := tt.p.EffectiveType(); got != tt.want {
			t.Errorf("%+v: got %s, want %s", tt.p, got, tt.want)
		}
	}
}
