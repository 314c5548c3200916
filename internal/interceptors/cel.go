package interceptors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
)

const (
	// celCostLimit bounds one evaluation, so a hostile or careless expression
	// over a large body cannot hang the listener.
	celCostLimit = 1_000_000
	// maxCachedPrograms bounds the program cache; past it the cache starts over.
	maxCachedPrograms = 1024
	// maxExprInMessage is how much of an expression a message quotes.
	maxExprInMessage = 120
)

// celInterceptor filters events with a CEL expression and adds fields to
// their extensions.
//
// Params: filter, a boolean expression (false, or an error evaluating it,
// filters the event out), and overlays, a list of {key, expression}: each
// expression's value is set under extensions at key ("a.b" sets nested
// objects), for bindings to use as $(extensions.a.b).
//
// Expressions see body (the JSON body; integers are int, other numbers
// double), header (map of canonical header names to their values, with
// header.match(name, value) and header.canonical(name) taking any case),
// requestURL and extensions. Besides CEL's standard functions they have the
// cel-go string, encoder, list and set extensions (split, base64.decode,
// sets.contains, ...), truncate(s, n), parseJSON(s) and marshalJSON(v), the
// last three also as methods (s.truncate(n)).
type celInterceptor struct{}

// overlay is one entry of the overlays param.
type overlay struct {
	Key        string `json:"key"`
	Expression string `json:"expression"`
}

// Process implements Interceptor.
func (celInterceptor) Process(ctx context.Context, r *Request) Response {
	if resp := checkParams(r.Params, "filter", "overlays"); resp != nil {
		return *resp
	}
	var filter string
	if raw, ok := r.Params["filter"]; ok {
		if err := json.Unmarshal(raw, &filter); err != nil {
			return respond(ConfigError, `param "filter" must be a string holding a CEL expression, not %s`, jsonKind(raw))
		}
		if strings.TrimSpace(filter) == "" {
			return respond(ConfigError, `param "filter" is empty`)
		}
	}
	var overlays []overlay
	if raw, ok := r.Params["overlays"]; ok {
		if err := strictUnmarshal(raw, &overlays); err != nil || jsonKind(raw) != "a list" {
			return respond(ConfigError, `param "overlays" must be a list of {"key": ..., "expression": ...}, not %s`, describe(raw, err))
		}
		for i, o := range overlays {
			if strings.TrimSpace(o.Expression) == "" {
				return respond(ConfigError, `param "overlays": overlays[%d] (key %q) has no expression`, i, o.Key)
			}
			if !validKey(o.Key) {
				return respond(ConfigError, `param "overlays": overlays[%d] has key %q: a key is one or more dot-separated names, e.g. "a" or "a.b"`, i, o.Key)
			}
		}
	}
	// Compile everything first, so a bad expression is reported as a config
	// error whatever the event.
	var filterPrg cel.Program
	if filter != "" {
		prg, err := program(filter, true)
		if err != nil {
			return respond(ConfigError, `param "filter": %v`, err)
		}
		filterPrg = prg
	}
	overlayPrgs := make([]cel.Program, len(overlays))
	for i, o := range overlays {
		prg, err := program(o.Expression, false)
		if err != nil {
			return respond(ConfigError, `param "overlays": overlays[%d] (key %q): %v`, i, o.Key, err)
		}
		overlayPrgs[i] = prg
	}
	if filterPrg == nil && len(overlays) == 0 {
		return Response{Code: OK}
	}

	vars, resp := activation(r)
	if resp != nil {
		return *resp
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if filterPrg != nil {
		val, _, err := filterPrg.ContextEval(ctx, vars)
		if err != nil {
			return respond(Filtered, "filter %s could not be evaluated, so the event does not match: %v", quoteExpr(filter), err)
		}
		b, ok := val.(types.Bool)
		if !ok {
			return respond(InvalidArgument, "filter %s evaluated to %s, not a bool", quoteExpr(filter), val.Type().TypeName())
		}
		if !b {
			return respond(Filtered, "filter %s is false", quoteExpr(filter))
		}
	}
	var out map[string]any
	for i, o := range overlays {
		val, _, err := overlayPrgs[i].ContextEval(ctx, vars)
		if err != nil {
			return respond(InvalidArgument, "overlay %q: %s could not be evaluated: %v", o.Key, quoteExpr(o.Expression), err)
		}
		v, err := fromCEL(val)
		if err != nil {
			return respond(InvalidArgument, "overlay %q: %s: %v", o.Key, quoteExpr(o.Expression), err)
		}
		if out == nil {
			out = map[string]any{}
		}
		setPath(out, strings.Split(o.Key, "."), v)
	}
	return Response{Code: OK, Extensions: out}
}

func validKey(k string) bool {
	for _, part := range strings.Split(k, ".") {
		if strings.TrimSpace(part) == "" {
			return false
		}
	}
	return true
}

// setPath sets m[path[0]][path[1]]... = v, making (or replacing) the objects on the way.
func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

func quoteExpr(e string) string {
	if len(e) > maxExprInMessage {
		n := maxExprInMessage
		for n > 0 && !utf8.RuneStart(e[n]) {
			n--
		}
		e = e[:n] + "..."
	}
	return fmt.Sprintf("%q", e)
}

// activation builds the variables an expression sees.
func activation(r *Request) (map[string]any, *Response) {
	body := r.Decoded
	if body == nil && len(bytes.TrimSpace(r.Body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			resp := respond(InvalidArgument, "the body is not JSON: %v", err)
			return nil, &resp
		}
	}
	header := make(map[string][]string, len(r.Header))
	for k, v := range r.Header {
		ck := http.CanonicalHeaderKey(k)
		header[ck] = append(header[ck], v...)
	}
	extensions := toCEL(r.Extensions)
	if r.Extensions == nil {
		extensions = map[string]any{}
	}
	return map[string]any{
		"body":       toCEL(body),
		"header":     header,
		"requestURL": r.RequestURL,
		"extensions": extensions,
	}, nil
}

// toCEL turns JSON numbers into int (when integral) or double, which CEL
// compares and computes with; everything else is left to CEL's adapter.
func toCEL(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = toCEL(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = toCEL(e)
		}
		return out
	}
	return v
}

// fromCEL turns a CEL value into plain Go JSON-like values for extensions.
func fromCEL(v ref.Val) (any, error) {
	switch v := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(v), nil
	case types.Int:
		return int64(v), nil
	case types.Uint:
		return uint64(v), nil
	case types.Double:
		return float64(v), nil
	case types.String:
		return string(v), nil
	case types.Bytes:
		return []byte(v), nil
	case traits.Mapper:
		out := map[string]any{}
		for it := v.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return nil, fmt.Errorf("a map key %v is %s, not a string: extensions are JSON", k, k.Type().TypeName())
			}
			e, err := fromCEL(v.Get(k))
			if err != nil {
				return nil, err
			}
			out[string(ks)] = e
		}
		return out, nil
	case traits.Lister:
		n, ok := v.Size().(types.Int)
		if !ok {
			return nil, errors.New("a list has no size")
		}
		out := make([]any, 0, int(n))
		for i := types.Int(0); i < n; i++ {
			e, err := fromCEL(v.Get(i))
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case *types.Err:
		return nil, v
	}
	if s, ok := v.ConvertToType(types.StringType).(types.String); ok {
		return string(s), nil // timestamps, durations
	}
	return nil, fmt.Errorf("a value of type %s cannot be written to extensions", v.Type().TypeName())
}

// compiled is a cached compilation: a program or the error compiling it.
type compiled struct {
	prg cel.Program
	err error
}

var (
	programsMu sync.Mutex
	programs   = map[string]compiled{}
	celEnv     = sync.OnceValues(newCELEnv)
)

// program compiles expr once and caches the program (or its error), so a
// listener does not recompile per event. wantBool requires a bool (or dyn)
// result. Programs are safe for concurrent use.
func program(expr string, wantBool bool) (cel.Program, error) {
	key := "v:" + expr
	if wantBool {
		key = "b:" + expr
	}
	programsMu.Lock()
	c, ok := programs[key]
	programsMu.Unlock()
	if ok {
		return c.prg, c.err
	}
	c.prg, c.err = compile(expr, wantBool)
	programsMu.Lock()
	if len(programs) >= maxCachedPrograms {
		clear(programs)
	}
	programs[key] = c
	programsMu.Unlock()
	return c.prg, c.err
}

func compile(expr string, wantBool bool) (cel.Program, error) {
	env, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("the CEL environment cannot be built: %w", err)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%s does not compile: %w", quoteExpr(expr), iss.Err())
	}
	if wantBool {
		if t := ast.OutputType(); !t.IsExactType(types.BoolType) && !t.IsExactType(types.DynType) {
			return nil, fmt.Errorf("%s is of type %s, not bool", quoteExpr(expr), t)
		}
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", quoteExpr(expr), err)
	}
	return prg, nil
}

var headerType = cel.MapType(cel.StringType, cel.ListType(cel.StringType))

func newCELEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("body", cel.DynType),
		cel.Variable("header", headerType),
		cel.Variable("requestURL", cel.StringType),
		cel.Variable("extensions", cel.DynType),
		ext.Strings(),
		ext.Encoders(),
		ext.Lists(),
		ext.Sets(),
		cel.Function("match",
			cel.MemberOverload("windlass_header_match", []*cel.Type{headerType, cel.StringType, cel.StringType}, cel.BoolType,
				cel.FunctionBinding(headerMatch))),
		cel.Function("canonical",
			cel.MemberOverload("windlass_header_canonical", []*cel.Type{headerType, cel.StringType}, cel.StringType,
				cel.BinaryBinding(headerCanonical))),
		cel.Function("truncate",
			cel.Overload("windlass_truncate", []*cel.Type{cel.StringType, cel.IntType}, cel.StringType, cel.BinaryBinding(truncate)),
			cel.MemberOverload("windlass_string_truncate", []*cel.Type{cel.StringType, cel.IntType}, cel.StringType, cel.BinaryBinding(truncate))),
		cel.Function("parseJSON",
			cel.Overload("windlass_parse_json", []*cel.Type{cel.StringType}, cel.DynType, cel.UnaryBinding(parseJSON)),
			cel.MemberOverload("windlass_string_parse_json", []*cel.Type{cel.StringType}, cel.DynType, cel.UnaryBinding(parseJSON))),
		cel.Function("marshalJSON",
			cel.Overload("windlass_marshal_json", []*cel.Type{cel.DynType}, cel.StringType, cel.UnaryBinding(marshalJSON)),
			cel.MemberOverload("windlass_dyn_marshal_json", []*cel.Type{cel.DynType}, cel.StringType, cel.UnaryBinding(marshalJSON))),
	)
}

// headerValues returns the values of a header, its name in any case.
func headerValues(m ref.Val, name ref.Val) ([]ref.Val, ref.Val) {
	mapper, ok := m.(traits.Mapper)
	if !ok {
		return nil, types.NewErr("header is not a map")
	}
	n, ok := name.(types.String)
	if !ok {
		return nil, types.NewErr("a header name must be a string")
	}
	v, found := mapper.Find(types.String(http.CanonicalHeaderKey(string(n))))
	if !found {
		return nil, nil
	}
	list, ok := v.(traits.Lister)
	if !ok {
		return nil, types.NewErr("header %s is not a list", n)
	}
	size, _ := list.Size().(types.Int)
	out := make([]ref.Val, 0, int(size))
	for i := types.Int(0); i < size; i++ {
		out = append(out, list.Get(i))
	}
	return out, nil
}

// headerMatch is header.match(name, value): whether one of the header's values is value.
func headerMatch(args ...ref.Val) ref.Val {
	if len(args) != 3 {
		return types.NewErr("match takes a header name and a value")
	}
	values, errVal := headerValues(args[0], args[1])
	if errVal != nil {
		return errVal
	}
	for _, v := range values {
		if v.Equal(args[2]) == types.True {
			return types.True
		}
	}
	return types.False
}

// headerCanonical is header.canonical(name): the header's first value, "" if none.
func headerCanonical(m, name ref.Val) ref.Val {
	values, errVal := headerValues(m, name)
	if errVal != nil {
		return errVal
	}
	if len(values) == 0 {
		return types.String("")
	}
	return values[0]
}

// truncate is truncate(s, n): s cut to at most n characters.
func truncate(s, n ref.Val) ref.Val {
	str, ok := s.(types.String)
	if !ok {
		return types.NewErr("truncate needs a string")
	}
	limit, ok := n.(types.Int)
	if !ok || limit < 0 {
		return types.NewErr("truncate needs a length of 0 or more")
	}
	runes := []rune(string(str))
	if int64(len(runes)) <= int64(limit) {
		return str
	}
	return types.String(string(runes[:limit]))
}

// parseJSON is parseJSON(s): s decoded as JSON.
func parseJSON(s ref.Val) ref.Val {
	str, ok := s.(types.String)
	if !ok {
		return types.NewErr("parseJSON needs a string")
	}
	dec := json.NewDecoder(strings.NewReader(string(str)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return types.NewErr("parseJSON: %v", err)
	}
	if dec.More() {
		return types.NewErr("parseJSON: more data after the JSON value")
	}
	return types.DefaultTypeAdapter.NativeToValue(toCEL(v))
}

// marshalJSON is marshalJSON(v): v as compact JSON.
func marshalJSON(v ref.Val) ref.Val {
	native, err := fromCEL(v)
	if err != nil {
		return types.NewErr("marshalJSON: %v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(native); err != nil {
		return types.NewErr("marshalJSON: %v", err)
	}
	return types.String(strings.TrimSuffix(buf.String(), "\n"))
}
