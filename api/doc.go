// Package api is smsgw's HTTP interface: the REST v1 API, the
// android-sms-gateway (SMSGate) and Kannel sendsms compatibility endpoints,
// authentication, health, Prometheus metrics and the OpenAPI document.
//
// The package reaches the rest of the daemon only through the small
// interfaces defined here: a Store (the durable queue), a Modems source (live
// modem status and USSD, implemented by the gateway), a Webhooks registry
// (the daemon's webhook outbox) and events the daemon publishes with
// (*Handler).Publish. New builds the http.Handler; package httpd opens the
// listeners and serves it.
//
// Every bad input is answered with a 4xx and a JSON body
// {"error":{"code":"...","message":"...","field":"..."}}; a 5xx only means
// the server itself failed. Tokens are compared in constant time and never
// logged.
package api
