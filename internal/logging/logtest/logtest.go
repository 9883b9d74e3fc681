// Package logtest reads the daemon's log lines back for tests: the keys of
// a JSON line or a key=value line in order, so that a key written twice
// (which encoding/json and jq silently collapse) shows.
package logtest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// JSONKeys decodes one JSON object and returns its top-level keys in order,
// so a repeated key (which encoding/json and jq silently collapse) shows.
func JSONKeys(line string) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object: %v", err)
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data")
	}
	return keys, nil
}

// LogfmtKeys splits one key=value line (slog's text form) into its keys.
func LogfmtKeys(line string) ([]string, error) {
	var keys []string
	for i := 0; i < len(line); {
		eq := strings.IndexByte(line[i:], '=')
		if eq <= 0 {
			return nil, fmt.Errorf("no key=value at %q", line[i:])
		}
		key := line[i : i+eq]
		if strings.ContainsAny(key, " \"") {
			return nil, fmt.Errorf("bad key %q", key)
		}
		keys = append(keys, key)
		i += eq + 1
		if i < len(line) && line[i] == '"' {
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			if j >= len(line) {
				return nil, fmt.Errorf("unterminated quote in %q", line)
			}
			i = j + 1
		} else if sp := strings.IndexByte(line[i:], ' '); sp >= 0 {
			i += sp
		} else {
			i = len(line)
		}
		if i < len(line) {
			if line[i] != ' ' {
				return nil, fmt.Errorf("no space after value in %q", line)
			}
			i++
		}
	}
	return keys, nil
}
