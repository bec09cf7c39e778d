package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Protocol is the protocol action: the lowest reader and writer versions a
// client must implement to use the table.
type Protocol struct {
	MinReaderVersion int `json:"minReaderVersion"`
	MinWriterVersion int `json:"minWriterVersion"`
}

// Format names the data files' format.
type Format struct {
	Provider string            `json:"provider"`
	Options  map[string]string `json:"options"`
}

// Metadata is the metaData action: the table's identity and schema.
type Metadata struct {
	ID               string            `json:"id"`
	Name             string            `json:"name,omitempty"`
	Description      string            `json:"description,omitempty"`
	Format           Format            `json:"format"`
	SchemaString     string            `json:"schemaString"`
	PartitionColumns []string          `json:"partitionColumns"`
	Configuration    map[string]string `json:"configuration"`
	CreatedTime      *int64            `json:"createdTime,omitempty"` // Unix milliseconds
}

// Schema parses SchemaString.
func (m *Metadata) Schema() (StructType, error) { return ParseSchema(m.SchemaString) }

// AddFile is the add action: a data file joins the table.
type AddFile struct {
	// Path is the file's path relative to the table root, URI-encoded as
	// the protocol requires; build it with EncodePath, read it with Key.
	Path             string            `json:"path"`
	PartitionValues  map[string]string `json:"partitionValues"`
	Size             int64             `json:"size"`
	ModificationTime int64             `json:"modificationTime"` // Unix milliseconds
	DataChange       bool              `json:"dataChange"`
	// Stats is a JSON document (see Stats), stored as a string.
	Stats string            `json:"stats,omitempty"`
	Tags  map[string]string `json:"tags,omitzero"`
}

// Key returns the store key of the file relative to the table root.
func (a *AddFile) Key() (string, error) { return DecodePath(a.Path) }

// ParseStats decodes Stats; a file without stats yields nil.
func (a *AddFile) ParseStats() (*Stats, error) {
	if a.Stats == "" {
		return nil, nil
	}
	return ParseStats(a.Stats)
}

// Remove builds the remove action that retires this file at time at,
// with the extended file metadata (partition values and size) the
// protocol recommends. Compactions pass dataChange false.
func (a *AddFile) Remove(at time.Time, dataChange bool) RemoveFile {
	ts, size := at.UnixMilli(), a.Size
	return RemoveFile{
		Path: a.Path, DeletionTimestamp: &ts, DataChange: dataChange,
		ExtendedFileMetadata: true, PartitionValues: orEmpty(a.PartitionValues), Size: &size,
	}
}

// RemoveFile is the remove action: a data file leaves the table. The
// file itself stays in the store until vacuumed, so older snapshots can
// still read it.
type RemoveFile struct {
	Path                 string            `json:"path"`
	DeletionTimestamp    *int64            `json:"deletionTimestamp,omitempty"` // Unix milliseconds
	DataChange           bool              `json:"dataChange"`
	ExtendedFileMetadata bool              `json:"extendedFileMetadata,omitempty"`
	PartitionValues      map[string]string `json:"partitionValues,omitzero"`
	Size                 *int64            `json:"size,omitempty"`
}

// Key returns the store key of the file relative to the table root.
func (r *RemoveFile) Key() (string, error) { return DecodePath(r.Path) }

// Txn is the txn action: application appID has committed everything up
// to and including Version. The latest txn per appID wins.
type Txn struct {
	AppID       string `json:"appId"`
	Version     int64  `json:"version"`
	LastUpdated *int64 `json:"lastUpdated,omitempty"` // Unix milliseconds
}

// CommitIDField is the commitInfo field holding the commit's unique id.
const CommitIDField = "evodb.commitId"

// CommitInfo is the commitInfo action: free-form provenance. Timestamp,
// Operation and CommitID are read from and written to their fields; every
// other field is kept verbatim in Extra.
type CommitInfo struct {
	Timestamp           int64 // Unix milliseconds
	Operation           string
	OperationParameters map[string]string
	CommitID            string
	Extra               map[string]json.RawMessage
}

// MarshalJSON writes the known fields and Extra as one object.
func (c CommitInfo) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(c.Extra)+4)
	for k, v := range c.Extra {
		m[k] = v
	}
	m["timestamp"] = c.Timestamp
	if c.Operation != "" {
		m["operation"] = c.Operation
	}
	if c.OperationParameters != nil {
		m["operationParameters"] = c.OperationParameters
	}
	if c.CommitID != "" {
		m[CommitIDField] = c.CommitID
	}
	return json.Marshal(m) // map keys come out sorted: stable bytes
}

// UnmarshalJSON reads the known fields leniently (other writers put
// other types in operationParameters) and keeps the rest in Extra.
func (c *CommitInfo) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("commitInfo is null")
	}
	*c = CommitInfo{}
	for k, v := range m {
		var err error
		switch k {
		case "timestamp":
			err = json.Unmarshal(v, &c.Timestamp)
		case "operation":
			err = json.Unmarshal(v, &c.Operation)
		case CommitIDField:
			err = json.Unmarshal(v, &c.CommitID)
		case "operationParameters":
			var raw map[string]json.RawMessage
			if err = json.Unmarshal(v, &raw); err == nil && raw != nil {
				c.OperationParameters = make(map[string]string, len(raw))
				for pk, pv := range raw {
					var s string
					if json.Unmarshal(pv, &s) != nil {
						s = string(pv)
					}
					c.OperationParameters[pk] = s
				}
			}
		default:
			if c.Extra == nil {
				c.Extra = make(map[string]json.RawMessage)
			}
			c.Extra[k] = v
		}
		if err != nil {
			return fmt.Errorf("commitInfo field %q: %w", k, err)
		}
	}
	return nil
}

// Action is one line of a commit file. Exactly one field is set; actions
// this package does not know (cdc, domainMetadata, ...) keep their name in
// Unknown and are ignored by snapshot replay.
type Action struct {
	Protocol   *Protocol
	Metadata   *Metadata
	Add        *AddFile
	Remove     *RemoveFile
	Txn        *Txn
	CommitInfo *CommitInfo
	Unknown    string
	Raw        json.RawMessage // the body of an unknown action
}

func (a *Action) kind() (string, any, int) {
	n := 0
	var name string
	var v any
	set := func(ok bool, nm string, x any) {
		if ok {
			n++
			name, v = nm, x
		}
	}
	set(a.Protocol != nil, "protocol", a.Protocol)
	set(a.Metadata != nil, "metaData", a.Metadata)
	set(a.Add != nil, "add", a.Add)
	set(a.Remove != nil, "remove", a.Remove)
	set(a.Txn != nil, "txn", a.Txn)
	set(a.CommitInfo != nil, "commitInfo", a.CommitInfo)
	set(a.Unknown != "", a.Unknown, a.Raw)
	return name, v, n
}

// fields returns how many of the action's fields are set (a written
// action must have exactly one).
func (a *Action) fields() int {
	_, _, n := a.kind()
	return n
}

// MarshalJSON writes the action as {"<name>": {...}}.
func (a Action) MarshalJSON() ([]byte, error) {
	name, v, n := a.kind()
	if n != 1 {
		return nil, fmt.Errorf("manifest: an action must have exactly one field set, it has %d", n)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	key, _ := json.Marshal(name)
	out := make([]byte, 0, len(body)+len(key)+3)
	out = append(out, '{')
	out = append(out, key...)
	out = append(out, ':')
	out = append(out, body...)
	return append(out, '}'), nil
}

// UnmarshalJSON reads one action object.
func (a *Action) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if len(m) != 1 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return fmt.Errorf("an action object must have exactly one key, found %d %q", len(m), keys)
	}
	*a = Action{}
	for name, body := range m {
		if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
			return fmt.Errorf("action %q is null", name)
		}
		var err error
		switch name {
		case "protocol":
			a.Protocol = new(Protocol)
			err = strictUnmarshal(body, a.Protocol)
		case "metaData":
			a.Metadata = new(Metadata)
			err = strictUnmarshal(body, a.Metadata)
		case "add":
			a.Add = new(AddFile)
			err = strictUnmarshal(body, a.Add)
		case "remove":
			a.Remove = new(RemoveFile)
			err = strictUnmarshal(body, a.Remove)
		case "txn":
			a.Txn = new(Txn)
			err = strictUnmarshal(body, a.Txn)
		case "commitInfo":
			a.CommitInfo = new(CommitInfo)
			err = a.CommitInfo.UnmarshalJSON(body)
		default:
			if name == "" {
				return errors.New("action name is empty")
			}
			a.Unknown = name
			a.Raw = append(json.RawMessage(nil), body...)
		}
		if err != nil {
			return fmt.Errorf("%s action: %w", name, err)
		}
	}
	return a.validate()
}

// strictUnmarshal decodes an object into v; fields v does not know are
// allowed (later protocol versions add optional fields), but the body
// must be an object.
func strictUnmarshal(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return errors.New("body is not a JSON object")
	}
	return json.Unmarshal(body, v)
}

// validate checks the fields the protocol requires.
func (a *Action) validate() error {
	switch {
	case a.Protocol != nil:
		if a.Protocol.MinReaderVersion < 1 || a.Protocol.MinWriterVersion < 1 {
			return fmt.Errorf("protocol versions must be at least 1, got reader %d writer %d",
				a.Protocol.MinReaderVersion, a.Protocol.MinWriterVersion)
		}
	case a.Metadata != nil:
		if a.Metadata.ID == "" {
			return errors.New("metaData has no id")
		}
		if a.Metadata.SchemaString == "" {
			return errors.New("metaData has no schemaString")
		}
	case a.Add != nil:
		if a.Add.Path == "" {
			return errors.New("add has an empty path")
		}
		if a.Add.Size < 0 {
			return fmt.Errorf("add %q has negative size %d", a.Add.Path, a.Add.Size)
		}
	case a.Remove != nil:
		if a.Remove.Path == "" {
			return errors.New("remove has an empty path")
		}
	case a.Txn != nil:
		if a.Txn.AppID == "" {
			return errors.New("txn has an empty appId")
		}
	}
	return nil
}

// LogError reports a bad line in a commit file.
type LogError struct {
	File string // e.g. _delta_log/00000000000000000003.json
	Line int    // 1-based; 0 when the error concerns the whole file
	Err  error
}

func (e *LogError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("manifest: %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("manifest: %s line %d: %v", e.File, e.Line, e.Err)
}

func (e *LogError) Unwrap() error { return e.Err }

// DecodeActions reads newline-delimited JSON actions. file names the
// source in errors. Empty lines (and a final newline) are allowed.
func DecodeActions(file string, data []byte) ([]Action, error) {
	var out []Action
	line := 0
	for len(data) > 0 {
		line++
		var ln []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			ln, data = data, nil
		}
		ln = bytes.TrimSpace(ln)
		if len(ln) == 0 {
			continue
		}
		var a Action
		if err := json.Unmarshal(ln, &a); err != nil {
			return nil, &LogError{File: file, Line: line, Err: err}
		}
		out = append(out, a)
	}
	return out, nil
}

// EncodeActions writes actions as newline-delimited JSON, one per line.
func EncodeActions(actions []Action) ([]byte, error) {
	var buf bytes.Buffer
	for i := range actions {
		b, err := json.Marshal(actions[i])
		if err != nil {
			return nil, fmt.Errorf("manifest: action %d: %w", i, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// EncodePath turns a store key relative to the table root
// ("data/blk 1.parquet") into the URI-encoded form of add.path
// ("data/blk%201.parquet").
func EncodePath(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		// A colon is legal in a segment but would read as a scheme.
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}

// DecodePath turns an add or remove path back into a store key relative
// to the table root. Absolute URIs and paths are rejected: this package
// only handles files inside the table.
func DecodePath(p string) (string, error) {
	u, err := url.Parse(p)
	if err != nil {
		return "", fmt.Errorf("manifest: file path %q: %w", p, err)
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("manifest: file path %q is absolute; only paths relative to the table are supported", p)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("manifest: file path %q has a query or fragment", p)
	}
	if u.Path == "" {
		return "", fmt.Errorf("manifest: file path %q is empty", p)
	}
	return u.Path, nil
}
