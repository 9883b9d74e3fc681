package api

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"smsgw"
	"smsgw/contacts"
)

// ImportBodyBytes caps a CSV import's body: the import is streamed in
// batches, so this bounds the request, not memory (100,000 contacts with a
// few fields are about 5 MB).
const ImportBodyBytes = 256 << 20

// CodeInvalidCSV: a CSV body's header cannot be read or mapped.
const CodeInvalidCSV = "invalid_csv"

// ContactList is the answer of GET /v1/contacts.
type ContactList struct {
	Contacts   []contacts.Contact `json:"contacts"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// GroupList is the answer of GET /v1/groups.
type GroupList struct {
	Groups []contacts.Group `json:"groups"`
}

// contactRequest is the body of POST /v1/contacts.
type contactRequest struct {
	Number   string            `json:"number"`
	Name     string            `json:"name"`
	Fields   map[string]string `json:"fields"`
	Groups   []string          `json:"groups"`
	TimeZone string            `json:"time_zone"`
}

// contactPatch is the body of PATCH /v1/contacts/{id}: what is present
// changes; a field set to null is removed; groups, when present, replace
// the contact's groups.
type contactPatch struct {
	Number   *string            `json:"number"`
	Name     *string            `json:"name"`
	Fields   map[string]*string `json:"fields"`
	Groups   *[]string          `json:"groups"`
	TimeZone *string            `json:"time_zone"`
}

// groupRequest is the body of POST /v1/groups and PATCH /v1/groups/{id}.
type groupRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (h *Handler) contactsBackend() (contacts.Store, *Error) {
	if h.b.Contacts == nil {
		return nil, errorf(http.StatusServiceUnavailable, CodeUnavailable, "", "contacts are not available in this process")
	}
	return h.b.Contacts, nil
}

// contactErr maps a contacts error: a bad contact is a 400 naming its
// field, a taken number or name a 409.
func (h *Handler) contactErr(err error, what string) *Error {
	var ve *contacts.ValidationError
	if errors.As(err, &ve) {
		code := CodeInvalidField
		if ve.Field == "number" {
			code = CodeInvalidNumber
		}
		return errorf(http.StatusBadRequest, code, ve.Field, "%s", ve.Reason)
	}
	if errors.Is(err, smsgw.ErrConflict) {
		msg := conflictReason(err)
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return errorf(http.StatusConflict, CodeConflict, "", "%s", msg)
	}
	return h.storeErr(err, what)
}

func (h *Handler) contactFilter(r *http.Request) (contacts.Filter, *Error) {
	q := r.URL.Query()
	f := contacts.Filter{Name: q.Get("name"), Group: q.Get("group"), After: q.Get("cursor")}
	for _, p := range []struct{ name, v string }{{"name", f.Name}, {"group", f.Group}, {"number", q.Get("number")}, {"field", q.Get("field")}, {"cursor", f.After}} {
		if len(p.v) > 200 || strings.ContainsRune(p.v, 0) {
			return f, badField(p.name, "%s must be at most 200 characters without NUL", p.name)
		}
	}
	if n := q.Get("number"); n != "" {
		// A search by number matches digits, whichever way it is written.
		d := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return -1
		}, n)
		if d == "" {
			return f, errorf(http.StatusBadRequest, CodeInvalidNumber, "number", "number must contain digits")
		}
		f.Number = d
	}
	if fv := q.Get("field"); fv != "" {
		k, v, has := strings.Cut(fv, "=")
		if !contacts.ValidKey(k) {
			return f, badField("field", "field is KEY or KEY=VALUE with a key of letters, digits, '_' or '-'")
		}
		f.FieldKey, f.FieldValue, f.HasValue = k, v, has
	}
	if f.After != "" && !validCursor(f.After) {
		return f, badField("cursor", "cursor must be a next_cursor from a previous page")
	}
	return f, nil
}

func validCursor(s string) bool {
	if len(s) > 19 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// contactSubroute answers a method that /v1/contacts/import or
// /v1/contacts/export does not take: the router would take those names
// for a contact id, which they can never be.
func contactSubroute(w http.ResponseWriter, r *http.Request) *Error {
	allow := map[string]string{"import": http.MethodPost, "export": http.MethodGet}[mux.Vars(r)["id"]]
	if allow == "" {
		return nil
	}
	w.Header().Set("Allow", allow)
	return errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "", "method %s not allowed on %s", r.Method, r.URL.Path)
}

func (h *Handler) listContacts(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	f, e := h.contactFilter(r)
	if e != nil {
		return e
	}
	limit, e := queryInt(r, "limit", 100, 1, 1000)
	if e != nil {
		return e
	}
	f.Limit = limit + 1
	list, err := cs.Contacts(r.Context(), f)
	if err != nil {
		return h.contactErr(err, "group")
	}
	out := ContactList{Contacts: list}
	if len(list) > limit {
		out.Contacts = list[:limit]
		out.NextCursor = list[limit-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) postContact(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	var q contactRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	if strings.TrimSpace(q.Number) == "" {
		return errorf(http.StatusBadRequest, CodeMissingField, "number", "number is required")
	}
	c := contacts.Contact{Number: q.Number, Name: q.Name, Fields: q.Fields, Groups: q.Groups, TimeZone: q.TimeZone}
	if err := contacts.Normalize(&c, h.cc); err != nil {
		return h.contactErr(err, "contact")
	}
	c, err := cs.AddContact(r.Context(), c)
	if err != nil {
		return h.contactErr(err, "contact")
	}
	w.Header().Set("Location", "/v1/contacts/"+c.ID)
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (h *Handler) getContact(w http.ResponseWriter, r *http.Request) *Error {
	if e := contactSubroute(w, r); e != nil {
		return e
	}
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	c, err := cs.Contact(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.contactErr(err, "contact")
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) patchContact(w http.ResponseWriter, r *http.Request) *Error {
	if e := contactSubroute(w, r); e != nil {
		return e
	}
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	var p contactPatch
	if e := decodeJSON(r, &p); e != nil {
		return e
	}
	c, err := cs.Contact(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.contactErr(err, "contact")
	}
	oldZone := smsgw.TimeZoneOf(c.Number)
	if p.Number != nil {
		c.Number = *p.Number
	}
	if p.Name != nil {
		c.Name = *p.Name
	}
	for k, v := range p.Fields {
		if v == nil {
			delete(c.Fields, k)
		} else {
			c.Fields[k] = *v
		}
	}
	if p.Groups != nil {
		c.Groups = *p.Groups
	}
	if p.TimeZone != nil {
		c.TimeZone = *p.TimeZone
	} else if p.Number != nil && c.TimeZone == oldZone {
		c.TimeZone = "" // the zone came from the old number: take the new one's
	}
	if err := contacts.Normalize(&c, h.cc); err != nil {
		return h.contactErr(err, "contact")
	}
	c, err = cs.UpdateContact(r.Context(), c)
	if err != nil {
		return h.contactErr(err, "contact")
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) deleteContact(w http.ResponseWriter, r *http.Request) *Error {
	if e := contactSubroute(w, r); e != nil {
		return e
	}
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	if err := cs.DeleteContact(r.Context(), mux.Vars(r)["id"]); err != nil {
		return h.contactErr(err, "contact")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) importContacts(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "text/csv" {
		return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type", "Content-Type must be text/csv, not %q", clip(ct, 100))
	}
	group := r.URL.Query().Get("group")
	if group != "" {
		if _, err := contacts.GroupName("group", group); err != nil {
			return h.contactErr(err, "group")
		}
	}
	res, err := contacts.Import(r.Context(), cs, r.Body, contacts.ImportOptions{CallingCode: h.cc, Group: group})
	if err != nil {
		var (
			he  *contacts.HeaderError
			re  *contacts.ReadError
			mbe *http.MaxBytesError
		)
		switch {
		case errors.As(err, &he):
			return errorf(http.StatusBadRequest, CodeInvalidCSV, "", "%s", he.Error())
		case errors.As(err, &mbe):
			return errorf(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "",
				"the CSV is larger than %d bytes; %d contacts were created and %d updated before that", mbe.Limit, res.Created, res.Updated)
		case errors.As(err, &re):
			return errorf(http.StatusBadRequest, CodeBadRequest, "", "reading the CSV failed at line %d; %d contacts were created and %d updated before that", re.Line, res.Created, res.Updated)
		}
		return h.contactErr(err, "import")
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (h *Handler) exportContacts(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	f, e := h.contactFilter(r)
	if e != nil {
		return e
	}
	if f.Group != "" {
		// An unknown group is a 404 before the CSV starts.
		if _, err := cs.Group(r.Context(), f.Group); err != nil {
			return h.contactErr(err, "group")
		}
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.csv"`)
	if err := contacts.Export(r.Context(), cs, w, f); err != nil {
		// The header is out: the truncated body is all we can say.
		h.log.Error("api: contacts export failed", "err", err)
	}
	return nil
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	list, err := cs.Groups(r.Context())
	if err != nil {
		return h.contactErr(err, "groups")
	}
	writeJSON(w, http.StatusOK, GroupList{Groups: list})
	return nil
}

func (h *Handler) postGroup(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	var q groupRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	if q.Name == nil {
		return errorf(http.StatusBadRequest, CodeMissingField, "name", "name is required")
	}
	g := contacts.Group{Name: *q.Name}
	if q.Description != nil {
		g.Description = *q.Description
	}
	if err := contacts.NormalizeGroup(&g); err != nil {
		return h.contactErr(err, "group")
	}
	g, err := cs.AddGroup(r.Context(), g)
	if err != nil {
		return h.contactErr(err, "group")
	}
	w.Header().Set("Location", "/v1/groups/"+g.ID)
	writeJSON(w, http.StatusCreated, g)
	return nil
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	g, err := cs.Group(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.contactErr(err, "group")
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	var q groupRequest
	if e := decodeJSON(r, &q); e != nil {
		return e
	}
	g, err := cs.Group(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.contactErr(err, "group")
	}
	if q.Name != nil {
		g.Name = *q.Name
	}
	if q.Description != nil {
		g.Description = *q.Description
	}
	if err := contacts.NormalizeGroup(&g); err != nil {
		return h.contactErr(err, "group")
	}
	if g, err = cs.UpdateGroup(r.Context(), g); err != nil {
		return h.contactErr(err, "group")
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request) *Error {
	cs, e := h.contactsBackend()
	if e != nil {
		return e
	}
	g, err := cs.Group(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return h.contactErr(err, "group")
	}
	if err := cs.DeleteGroup(r.Context(), g.ID); err != nil {
		return h.contactErr(err, "group")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
