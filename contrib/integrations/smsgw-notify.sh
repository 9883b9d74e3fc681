#!/bin/sh
# Send an alert as SMS through the smsgw API: for Zabbix (script media type),
# Nagios, Icinga 1 and Icinga 2 notification commands, cron jobs, anything.
#
#   smsgw-notify.sh TO TEXT
#   smsgw-notify.sh TO SUBJECT TEXT        (Zabbix: {ALERT.SENDTO} {ALERT.SUBJECT} {ALERT.MESSAGE})
#   smsgw-notify.sh TO -                   (text from stdin)
#
# TO is one number or several separated by commas. SUBJECT and TEXT are
# joined with a newline. The text is cut to SMSGW_MAX_CHARS (default 306,
# two GSM parts) so a verbose alert cannot become a dozen SMS.
#
# Settings come from the environment or, because Zabbix and Nagios start
# scripts with an empty environment, from KEY=VALUE lines in
# /etc/smsgw/notify.conf (or $SMSGW_NOTIFY_CONF); the file is read, never
# executed:
#   SMSGW_URL=http://127.0.0.1:8787      the API's base URL (the default)
#   SMSGW_TOKEN=...                      a token; a "send:" scoped one suffices
#   SMSGW_MAX_CHARS=306
#
# Exit status: 0 once smsgw accepted (queued) the message; 1 when it refused
# it (bad number: retrying will not help); 2 on usage errors; 75 (EX_TEMPFAIL)
# when smsgw could not be reached or answered 5xx: Zabbix and Nagios retry
# on a non-zero status.
set -u

usage() {
	echo "usage: smsgw-notify.sh TO [SUBJECT] TEXT|-" >&2
	exit 2
}

conf=${SMSGW_NOTIFY_CONF:-/etc/smsgw/notify.conf}
if [ -r "$conf" ]; then
	while IFS='=' read -r key value; do
		case $key in
		SMSGW_URL) : "${SMSGW_URL:=$value}" ;;
		SMSGW_TOKEN) : "${SMSGW_TOKEN:=$value}" ;;
		SMSGW_MAX_CHARS) : "${SMSGW_MAX_CHARS:=$value}" ;;
		esac
	done <"$conf"
fi
url=${SMSGW_URL:-http://127.0.0.1:8787}
max=${SMSGW_MAX_CHARS:-306}

case $# in
2) to=$1 text=$2 ;;
3) to=$1 text="$2
$3" ;;
*) usage ;;
esac
if [ "$text" = - ]; then
	text=$(cat)
fi
if [ -z "$to" ] || [ -z "$text" ]; then usage; fi

# json_string TEXT: TEXT as a JSON string literal.
json_string() {
	printf '%s' "$1" | od -An -v -tx1 | tr -s ' ' '\n' | LC_ALL=C awk '
		BEGIN { printf "\"" }
		$0 == "" { next }
		{
			c = $0
			if (c == "22") printf "\\\""
			else if (c == "5c") printf "\\\\"
			else if (c == "0a") printf "\\n"
			else if (c == "0d") printf "\\r"
			else if (c == "09") printf "\\t"
			else if (c < "20") printf "\\u00%s", c
			else printf "%c", hex(c)
		}
		END { printf "\"" }
		function hex(h,   i, n) {
			n = 0
			for (i = 1; i <= 2; i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
			return n
		}'
}

# Cut to $max characters (not bytes: a UTF-8 sequence is never split).
text=$(printf '%s' "$text" | LC_ALL=C awk -v max="$max" '
	BEGIN { RS = "\001" }
	{
		n = 0; out = ""
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			# a UTF-8 continuation byte (10xxxxxx) does not start a character
			if (c < "\200" || c >= "\300") {
				if (++n > max) break
			}
			out = out c
		}
		printf "%s", out
	}')

recipients=
old_ifs=$IFS
IFS=,
for n in $to; do
	n=$(printf '%s' "$n" | tr -d ' ')
	[ -n "$n" ] || continue
	recipients="$recipients${recipients:+,}$(json_string "$n")"
done
IFS=$old_ifs

body=$(printf '{"to":[%s],"text":%s}' "$recipients" "$(json_string "$text")")

set -- --silent --show-error --max-time 20 --output /dev/stderr --write-out '%{http_code}' \
	--header 'Content-Type: application/json'
if [ -n "${SMSGW_TOKEN:-}" ]; then
	# From a here-document, so the token never shows in `ps`.
	set -- "$@" --config -
fi
code=$(printf 'header = "Authorization: Bearer %s"\n' "${SMSGW_TOKEN:-}" |
	curl "$@" --data-binary "$body" "$url/v1/messages") || code=000

case $code in
2??) exit 0 ;;
4??)
	echo "smsgw-notify: smsgw refused the message (HTTP $code)" >&2
	exit 1
	;;
*)
	echo "smsgw-notify: smsgw at $url not reachable or failing (HTTP $code)" >&2
	exit 75
	;;
esac
