#!/bin/sh
# Forward a received SMS to a Home Assistant webhook trigger (or any URL that
# takes a JSON POST).
#
#   home-assistant.sh URL
#
# In /etc/smsgw/smsgw.toml:
#   [inbound]
#   exec = ["/usr/share/smsgw/integrations/home-assistant.sh",
#           "http://homeassistant.local:8123/api/webhook/smsgw-received"]
#
# smsgw runs it once per received message with the message as JSON on stdin
# ({"id","from","text","modem","receivedAt",...}), which is posted as is.
# Called the gammu-smsd way (RunOnReceive, nothing on stdin), it builds the
# JSON {"from","text","modem"} from SMS_1_NUMBER, DECODED_1_TEXT (or the
# SMS_n_TEXT parts) and PHONE_ID.
#
# In Home Assistant, an automation with
#   trigger: {platform: webhook, webhook_id: smsgw-received, local_only: true}
# sees trigger.json.from and trigger.json.text.
# A non-zero exit (HA unreachable, HTTP error) makes smsgw retry later.
set -eu

url=${1:?usage: home-assistant.sh URL}

# json_string TEXT: TEXT as a JSON string literal (quotes, backslashes and
# control characters escaped; other UTF-8 passes through).
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

body=
if [ ! -t 0 ]; then
	body=$(cat)
fi
if [ -z "$body" ]; then
	text=${DECODED_1_TEXT-}
	if [ -z "$text" ]; then
		i=1
		while [ "$i" -le "${SMS_MESSAGES:-0}" ]; do
			part=
			eval "part=\${SMS_${i}_TEXT-}"
			text=$text$part
			i=$((i + 1))
		done
	fi
	from=${SMS_1_NUMBER:?no JSON on stdin and no SMS_1_NUMBER in the environment}
	body=$(printf '{"from":%s,"text":%s,"modem":%s}' \
		"$(json_string "$from")" "$(json_string "$text")" "$(json_string "${PHONE_ID-}")")
fi

printf '%s' "$body" | curl --silent --show-error --fail --max-time 20 \
	--header 'Content-Type: application/json' --data-binary @- --output /dev/null "$url"
