package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ParamType is the type of a parameter or result value.
// +kubebuilder:validation:Enum=string;array;object
type ParamType string

// The value types a param or result may declare.
const (
	ParamTypeString ParamType = "string"
	ParamTypeArray  ParamType = "array"
	ParamTypeObject ParamType = "object"
)

// PropertySpec declares one key of an object param or result.
type PropertySpec struct {
	// type of the key's value; only string is supported.
	// +kubebuilder:validation:Enum=string
	// +optional
	Type ParamType `json:"type,omitempty"`
}

// ParamSpec declares a parameter a Task or Pipeline accepts.
// +kubebuilder:validation:XValidation:rule="!has(self.properties) || !has(self.type) || self.type == 'object'",message="properties are only allowed for type object"
// +kubebuilder:validation:XValidation:rule="!has(self.enum) || !has(self.type) || self.type == 'string'",message="enum is only allowed for type string"
type ParamSpec struct {
	// name of the param, referenced as $(params.<name>).
	// +kubebuilder:validation:Pattern=`^[a-zA-Z_][a-zA-Z0-9_.-]*$`
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
	// type of the param: string, array or object; when unset, object if
	// properties are declared, else string (as in Tekton).
	// +optional
	Type ParamType `json:"type,omitempty"`
	// description of the param for users.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Description string `json:"description,omitempty"`
	// properties declares the keys of an object param.
	// +optional
	Properties map[string]PropertySpec `json:"properties,omitempty"`
	// default is the value used when a run does not set the param.
	// +optional
	Default *ParamValue `json:"default,omitempty"`
	// enum lists the values a string param may take.
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +optional
	Enum []string `json:"enum,omitempty"`
}

// EffectiveType is the declared type; when none is declared, object for a
// param that declares properties and string otherwise (Tekton's default).
func (p ParamSpec) EffectiveType() ParamType {
	switch {
	case p.Type != "":
		return p.Type
	case len(p.Properties) > 0:
		return ParamTypeObject
	}
	return ParamTypeString
}

// ParamValue is a string, an array of strings or an object of strings. In YAML it
// is written as the bare value: `value: main`, `value: [a, b]`, `value: {k: v}`.
//
// A structural CRD schema cannot express this union, and CEL cannot see inside a
// schemaless node, so the shape of a value (and whether a default matches its
// param's type and enum) is checked in Go when a run binds its params
// (internal/resolve): a run with a bad value fails with InvalidSpec naming
// the field.
// +kubebuilder:validation:Type=""
// +kubebuilder:validation:XPreserveUnknownFields
type ParamValue struct {
	Type      ParamType         `json:"-"`
	StringVal string            `json:"-"`
	ArrayVal  []string          `json:"-"`
	ObjectVal map[string]string `json:"-"`
}

// NewString returns a string value.
func NewString(s string) *ParamValue { return &ParamValue{Type: ParamTypeString, StringVal: s} }

// NewArray returns an array value.
func NewArray(items ...string) *ParamValue {
	return &ParamValue{Type: ParamTypeArray, ArrayVal: append([]string{}, items...)}
}

// NewObject returns an object value.
func NewObject(kv map[string]string) *ParamValue {
	o := make(map[string]string, len(kv))
	for k, v := range kv {
		o[k] = v
	}
	return &ParamValue{Type: ParamTypeObject, ObjectVal: o}
}

// MarshalJSON writes the bare value.
func (v ParamValue) MarshalJSON() ([]byte, error) {
	switch v.Type {
	case ParamTypeArray:
		if v.ArrayVal == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(v.ArrayVal)
	case ParamTypeObject:
		if v.ObjectVal == nil {
			return []byte("{}"), nil
		}
		return json.Marshal(v.ObjectVal)
	default:
		return json.Marshal(v.StringVal)
	}
}

// UnmarshalJSON reads a bare string, array or object. It never refuses what
// the API server stored (the schema cannot constrain the union): a value
// that fails to decode would stop the controller's informer for every run.
// So numbers, booleans and null inside an array or object are taken as their
// text, as a bare one is (`value: [1, 2]` is ["1", "2"]), and a nested array
// or object as its JSON text.
func (v *ParamValue) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	*v = ParamValue{}
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		v.Type = ParamTypeString
		return nil
	}
	switch data[0] {
	case '[':
		v.Type = ParamTypeArray
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return fmt.Errorf("array value: %w", err)
		}
		v.ArrayVal = make([]string, len(items))
		for i, item := range items {
			v.ArrayVal[i] = scalarText(item)
		}
	case '{':
		v.Type = ParamTypeObject
		var items map[string]json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return fmt.Errorf("object value: %w", err)
		}
		v.ObjectVal = make(map[string]string, len(items))
		for k, item := range items {
			v.ObjectVal[k] = scalarText(item)
		}
	default:
		// A bare number or boolean in YAML (`value: 3`) is taken as its text, as users expect.
		v.Type = ParamTypeString
		v.StringVal = scalarText(data)
	}
	return nil
}

// scalarText is a JSON string's value, or any other JSON value's text.
func scalarText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	if bytes.Equal(raw, []byte("null")) {
		return ""
	}
	return string(raw)
}

// DeepCopyInto copies v into out.
func (v *ParamValue) DeepCopyInto(out *ParamValue) {
	*out = *v
	if v.ArrayVal != nil {
		out.ArrayVal = append([]string(nil), v.ArrayVal...)
	}
	if v.ObjectVal != nil {
		out.ObjectVal = make(map[string]string, len(v.ObjectVal))
		for k, val := range v.ObjectVal {
			out.ObjectVal[k] = val
		}
	}
}

// DeepCopy returns a copy of v.
func (v *ParamValue) DeepCopy() *ParamValue {
	if v == nil {
		return nil
	}
	out := new(ParamValue)
	v.DeepCopyInto(out)
	return out
}

// Param binds a value to a declared param.
type Param struct {
	// name of the declared param.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +required
	Name string `json:"name"`
	// value of the param: a string, an array of strings or an object of strings.
	// +required
	Value ParamValue `json:"value"`
}
