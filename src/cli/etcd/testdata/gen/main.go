// Reference oracle for go-stdlib-golden.json: runs Go's own time.ParseDuration,
// strconv.ParseUint/ParseInt (base 0) and url.Parse + etcd's URL rules over the
// inputs read from stdin (JSON) and prints what Go answers. Regenerate with
// generate.mjs when Go is available; the unit test only reads the JSON.

package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

func newURL(in string) string {
	in = strings.TrimSpace(in)
	u, err := url.Parse(in)
	if err != nil {
		return "ERR " + err.Error()
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "unix" && u.Scheme != "unixs" {
		return "ERR " + fmt.Sprintf("URL scheme must be http, https, unix, or unixs: %s", in)
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		return "ERR " + fmt.Sprintf(`URL address does not have the form "host:port": %s`, in)
	}
	if u.Path != "" {
		return "ERR " + fmt.Sprintf("URL must not contain a path: %s", in)
	}
	return "OK " + u.String()
}

func main() {
	var in struct{ Durations, Uints, Ints, Urls, Bools []string }
	json.NewDecoder(os.Stdin).Decode(&in)
	out := map[string][]string{}
	for _, d := range in.Durations {
		v, err := time.ParseDuration(d)
		if err != nil {
			out["d"] = append(out["d"], "ERR "+err.Error())
		} else {
			out["d"] = append(out["d"], "OK "+strconv.FormatInt(int64(v), 10))
		}
	}
	for _, s := range in.Uints {
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			out["u"] = append(out["u"], "ERR "+err.(*strconv.NumError).Err.Error())
		} else {
			out["u"] = append(out["u"], "OK "+strconv.FormatUint(v, 10))
		}
	}
	for _, s := range in.Ints {
		v, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			out["i"] = append(out["i"], "ERR "+err.(*strconv.NumError).Err.Error())
		} else {
			out["i"] = append(out["i"], "OK "+strconv.FormatInt(v, 10))
		}
	}
	for _, s := range in.Urls {
		out["url"] = append(out["url"], newURL(s))
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
