package model

import (
	"fmt"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Rules of server/utilities/caching.mdx and pagination.mdx.

func isCompleteCacheable(c *ctx) bool {
	if c.result == nil || c.info == nil || !c.info.Cacheable {
		return false
	}
	rt, _ := c.resultType()
	return rt == wire.ResultComplete
}

// checkCacheHints: ttlMs and cacheScope on every complete result of a
// cacheable method; ttlMs >= 0; one cacheScope for all pages of a list.
func checkCacheHints(c *ctx) {
	rf := c.rf
	if !rf.known {
		return
	}
	c.judge(spec.CoreCacheHints, spec.CoreCacheTtl)
	switch {
	case rf.ttl == nil && rf.scope == "":
		c.report(spec.CoreCacheHints, "a "+c.method+" result without ttlMs and cacheScope", "ttlMs and cacheScope on every complete "+c.method+" result")
	case rf.ttl == nil:
		c.report(spec.CoreCacheHints, "a "+c.method+" result without ttlMs", "ttlMs on every complete "+c.method+" result")
	case rf.scope == "":
		c.report(spec.CoreCacheHints, "a "+c.method+" result without cacheScope", "cacheScope on every complete "+c.method+" result")
	}
	if rf.ttl != nil && *rf.ttl < 0 {
		c.reportf(spec.CoreCacheTtl, "ttlMs >= 0", "ttlMs %d", *rf.ttl)
	}
	if !c.info.Paginated || rf.scope == "" {
		return
	}
	// Pagination: the page fetched with cursor X has the scope of the page
	// that handed out X; the page's own nextCursor inherits its scope.
	cursor, hasCursor := cursorOf(c.params)
	f := c.facts()
	if hasCursor {
		want, ok := f.listScope[pageKey{c.method, cursor}]
		if ok {
			c.judge(spec.CoreCacheScopePages)
		}
		if ok && want != rf.scope {
			c.reportf(spec.CoreCacheScopePages, fmt.Sprintf("cacheScope %q on every page of the list", want), "cacheScope %q on the page for cursor %q", rf.scope, cursor)
		}
	}
	if rf.nextCursor != nil {
		k := pageKey{c.method, *rf.nextCursor}
		if f.listScope[k] != rf.scope {
			own(c, ownListScope, &c.learn().listScope)[k] = rf.scope
		}
	}
}
