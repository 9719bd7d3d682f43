package wire

// InputRequestMethod returns the method member of one raw input request
// of InputRequiredResult.inputRequests, or "" when it has none (not a
// request object). It decodes only that member, so a request of an
// unknown kind still names its method.
func InputRequestMethod(v Value) string {
	var m struct {
		Method string `json:"method"`
	}
	if Unmarshal(v, &m) != nil {
		return ""
	}
	return m.Method
}
