package lint

import (
	"regexp"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// pathStep is one step of a field path: a key, or an index into a list.
var pathStep = regexp.MustCompile(`^\.?([^.\[]+)|^\[(\d+)\]|^\[([^\]]*)\]`)

// Line returns the line of the deepest node of doc that the field path
// (spec.taskSpec.steps[0].image) reaches; the document's first line when
// not even its first step matches.
func Line(doc *yamlv3.Node, path string) int {
	n := doc
	if n.Kind == yamlv3.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for rest := strings.TrimSpace(path); rest != ""; {
		m := pathStep.FindStringSubmatch(rest)
		if m == nil {
			break
		}
		rest = rest[len(m[0]):]
		var next *yamlv3.Node
		switch {
		case m[1] != "" && n.Kind == yamlv3.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == m[1] {
					line, next = n.Content[i].Line, n.Content[i+1]
					break
				}
			}
		case m[2] != "" && n.Kind == yamlv3.SequenceNode:
			if i, _ := strconv.Atoi(m[2]); i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		case m[3] != "" && n.Kind == yamlv3.MappingNode:
			// a map key written [key], as field.Path does for maps
			key := strings.Trim(m[3], `"`)
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line, next = n.Content[i].Line, n.Content[i+1]
					break
				}
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return line
}
