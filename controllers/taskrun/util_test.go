package taskrun

import (
	"encoding/json"
	"strings"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
