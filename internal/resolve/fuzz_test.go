package resolve

import (
	"encoding/json"
	"strings"
	"testing"

	windlassv1 "github.com/windlass-dev/windlass/apis/windlass/v1alpha1"
)

// FuzzBindParams: binding any declared param (type, default, enum, object
// keys) to any given value never panics; it either fails naming a
// spec.params field, or every declared param gets a value of its declared
// type (an enum's value among the enum, an object's declared keys present).
func FuzzBindParams(f *testing.F) {
	f.Add("string", `"main"`, `"dev"`, "main,dev", "", true, false)
	f.Add("array", `["a"]`, `["x","y"]`, "", "", true, true)
	f.Add("object", `{"os":"linux"}`, `{"arch":"arm"}`, "", "os,arch", true, false)
	f.Add("string", ``, `[1,2]`, "", "", true, false)
	f.Add("", `null`, `{"a":[1]}`, "a", "", false, true)
	f.Add("array", `"x"`, `3`, "", "", true, false)
	f.Fuzz(func(t *testing.T, typ, def, given, enum, keys string, giveIt, embedded bool) {
		d := windlassv1.ParamSpec{Name: "p", Type: windlassv1.ParamType(typ)}
		if def != "" {
			var v windlassv1.ParamValue
			if json.Unmarshal([]byte(def), &v) != nil {
				return
			}
			d.Default = &v
		}
		if enum != "" {
			d.Enum = strings.Split(enum, ",")
		}
		if keys != "" {
			d.Properties = map[string]windlassv1.PropertySpec{}
			for _, k := range strings.Split(keys, ",") {
				d.Properties[k] = windlassv1.PropertySpec{}
			}
		}
		var params []windlassv1.Param
		if giveIt {
			var v windlassv1.ParamValue
			if json.Unmarshal([]byte(given), &v) != nil {
				return
			}
			params = append(params, windlassv1.Param{Name: "p", Value: v}, windlassv1.Param{Name: "extra", Value: v})
		}
		b, err := BindParams("Task", embedded, []windlassv1.ParamSpec{d}, params)
		if err != nil {
			if !strings.Contains(err.Error(), "spec.params") {
				t.Fatalf("error %q names no spec.params field", err)
			}
			return
		}
		v, ok := b.Values["p"]
		if !ok {
			t.Fatalf("bound without the declared param: %+v", b)
		}
		if v.Type != d.EffectiveType() {
			t.Fatalf("declared %s, bound %s", d.EffectiveType(), v.Type)
		}
		if len(d.Enum) > 0 && v.Type == windlassv1.ParamTypeString && !contains(d.Enum, v.StringVal) {
			t.Fatalf("value %q outside the enum %v", v.StringVal, d.Enum)
		}
		for k := range d.Properties {
			if _, ok := v.ObjectVal[k]; v.Type == windlassv1.ParamTypeObject && !ok {
				t.Fatalf("object lacks the declared key %q: %v", k, v.ObjectVal)
			}
		}
		if giveIt && embedded != (len(b.Implicit) == 1) {
			t.Fatalf("embedded=%v: implicit %v", embedded, b.Implicit)
		}
		if giveIt && !embedded && (len(b.Unused) != 1 || b.Unused[0] != "extra") {
			t.Fatalf("referenced: unused %v, want [extra]", b.Unused)
		}
	})
}
