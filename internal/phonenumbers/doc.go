// Package phonenumbers is github.com/nyaruka/phonenumbers v1.8.1 (a port
// of Google's libphonenumber, MIT licence in LICENSE) with three changes
// that keep a daemon that only checks "+digits" numbers small, and one
// that lets it be linked beside the upstream module:
//
//   - the number metadata and the short number metadata are parsed on
//     first use, not at package init (about 2.5 MB allocated, 1.5 MB of
//     it kept, and 50 ms at every start of every command);
//   - the carrier and geocoding lookups are left out, with their data
//     (1 MB of the binary) and golang.org/x/text/language/display, which
//     builds tables at init;
//   - MetadataLoaded tells tests whether the metadata has been parsed;
//   - its protobuf files and package are registered as smsgw/phonemd.proto,
//     smsgw/phone.proto and smsgw_phones (names of the same lengths, so the
//     descriptors' bytes are otherwise the same; the wire format does not
//     carry names), where upstream registers phonemetadata.proto,
//     phonenumber.proto and phonenumbers: the registry refuses the same
//     name twice in one program, and upstream_test.go links both.
//
// Everything else is the upstream code and data unchanged;
// upstream_test.go compares this package's answers with the upstream
// module's. To update: copy the new release's files over these (except
// doc.go and the tests), reapply the changes above, and run go generate
// in the repository's root (phone_codes.go).
package phonenumbers
