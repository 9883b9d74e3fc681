// Package api holds smsgw's v1 HTTP API: the JSON handlers of the REST
// routes, health, Prometheus metrics and the OpenAPI document, as a route
// table (Routes) the HTTP layer (package httpd) mounts. The compatible APIs
// (api/compat/asg for android-sms-gateway, api/compat/kannel for Kannel)
// build on the exported pieces of this core (core.go) and bring their own
// route tables.
//
// The package reaches the rest of the daemon only through the small
// interfaces defined here: a Store (the durable queue), a Modems source (live
// modem status and USSD, implemented by the gateway), a Webhooks registry
// (the daemon's webhook outbox) and events the daemon publishes with
// (*Handler).Publish.
//
// Every bad input is answered with a 4xx and a JSON body
// {"error":{"code":"...","message":"...","field":"..."}}; a 5xx only means
// the server itself failed. Tokens are compared in constant time and never
// logged.
package api
