package config

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/BurntSushi/toml"
)

// DefaultConfigPath is where `smsgw serve` looks for its configuration when
// no --config flag is given.
const DefaultConfigPath = "/etc/smsgw/smsgw.toml"

// Config is the whole daemon configuration, decoded from TOML. Every key is
// optional; Load fills defaults and validates. Safe for concurrent reads once
// loaded.
type Config struct {
	Server     ServerConfig     `toml:"server"`
	Storage    StorageConfig    `toml:"storage"`
	Modems     []ModemConfig    `toml:"modem"`
	Autodetect AutodetectConfig `toml:"autodetect"`
	Retry      RetryConfig      `toml:"retry"`
	Inbound    InboundConfig    `toml:"inbound"`
	Webhook    WebhookConfig    `toml:"webhook"`
	Log        LogConfig        `toml:"log"`
	Simulate   SimulateConfig   `toml:"simulate"`
	Security   SecurityConfig   `toml:"security"`
	Callbacks  CallbacksConfig  `toml:"callbacks"`
	Limits     LimitsConfig     `toml:"limits"`
	Debug      DebugConfig      `toml:"debug"`
	Node       NodeConfig       `toml:"node"`
	Rules      []RuleConfig     `toml:"rule"`
	Autoreply  AutoreplyConfig  `toml:"autoreply"`
	Consent    ConsentConfig    `toml:"consent"`
	Prices     []PriceConfig    `toml:"price"`
	Tariffs    []TariffConfig   `toml:"tariff"`
}

// SetSimulate sets the number of emulated modems (the --simulate flag),
// refusing a count outside what the [simulate] table accepts.
// Autodetection, unless the file turned it on, is off when simulating: a
// demo must not take over a real modem plugged into the machine.
func (c *Config) SetSimulate(n int) error {
	var errs []error
	SimulateConfig{Modems: n}.validate(func(_, format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.Simulate.Modems = n
	if !c.Autodetect.explicit {
		c.Autodetect.Enabled = c.autodetectByDefault(n)
	}
	return nil
}

// SetListen sets the API listener (the --listen flag) and checks it as
// server.listen in the file would be: a non-loopback address needs tokens.
func (c *Config) SetListen(addr string) error {
	s := c.Server
	s.Listen = addr
	var errs []error
	s.validate(func(key, format string, args ...any) {
		if key == "server.listen" {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.Server.Listen = addr
	return nil
}

// autodetectByDefault: look for modems when none is configured (and none
// is emulated), or when a configured one is bound by IMEI alone and can
// only be found that way.
func (c *Config) autodetectByDefault(simulated int) bool {
	for _, m := range c.Modems {
		if m.Port == "" && !m.Disabled {
			return true
		}
	}
	return len(c.Modems) == 0 && simulated == 0
}

// Default returns the configuration used when the file sets nothing.
func Default() Config {
	c := Config{}
	c.applyDefaults(nil)
	return c
}

// Load reads and validates a TOML file.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(string(b))
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates TOML text. Unknown keys are an error naming
// each key; validation errors name the key and say what is wanted.
func Parse(text string) (Config, error) {
	var c Config
	md, err := toml.Decode(text, &c)
	if err != nil {
		return Config{}, durationError(err)
	}
	// Every unknown key and every bad value is reported at once, so one
	// `smsgw config check` shows all there is to fix.
	var errs []error
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		for _, k := range keys {
			errs = append(errs, fmt.Errorf("unknown key %s", k))
		}
	}
	c.applyDefaults(&md)
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// applyDefaults fills what the file left out, table by table. md says which
// keys the file set (nil: none), for the few defaults that differ between
// "left out" and "set to zero".
func (c *Config) applyDefaults(md *toml.MetaData) {
	defined := func(key ...string) bool { return md != nil && md.IsDefined(key...) }
	c.Server.applyDefaults()
	c.Storage.applyDefaults()
	c.Node.applyDefaults()
	for i := range c.Modems {
		c.Modems[i].applyDefaults(i)
	}
	c.Autodetect.explicit = defined("autodetect", "enabled")
	if !c.Autodetect.explicit {
		c.Autodetect.Enabled = c.autodetectByDefault(c.Simulate.Modems)
	}
	c.Autodetect.applyDefaults()
	c.Retry.applyDefaults()
	c.Inbound.applyDefaults(defined("inbound", "retries"))
	c.Webhook.applyDefaults()
	c.Log.applyDefaults(defined("log", "at_trace"))
	c.Simulate.applyDefaults()
	c.Security.applyDefaults()
	c.Limits.applyDefaults()
	c.Autoreply.applyDefaults()
	c.Consent.applyDefaults(defined("consent", "enabled"))
}

// Validate checks every value and returns all problems at once, each
// naming its key. It never includes a secret in the message.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	c.Server.validate(bad)
	c.Storage.validate(bad)
	c.Node.validate(bad)
	validateModems(c.Modems, c.Autodetect.Enabled, bad)
	c.Autodetect.validate(bad)
	c.Retry.validate(bad)
	c.Inbound.validate(bad)
	c.Webhook.validate(bad)
	c.Log.validate(bad)
	c.Security.validate(bad)
	c.Callbacks.validate(bad)
	c.Limits.validate(bad)
	c.Simulate.validate(bad)
	validateRules(c.Rules, bad)
	c.Autoreply.validate(bad)
	c.Consent.validate(bad)
	validatePrices(c.Prices, bad)
	validateTariffs(c.Tariffs, bad)
	return errors.Join(errs...)
}
