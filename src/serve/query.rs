//! `/auth`'s query string: `?scope=S` or nothing. A key it does not know is refused, never
//! read as "no scope", so a typo in a web server's configuration fails closed.

/// Why a query is refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Query {
    /// A key other than `scope` (compared as sent: `SCOPE`, `sco%70e` and `scope[]` are
    /// other keys), `scope` twice, or `scope` without a value.
    Malformed,
    /// One `scope=`, whose value is not a scope.
    InvalidScope,
}

/// `?scope=S` from the query: `/auth` knows no other key, and refuses what it does not
/// read rather than reading it as "no scope".
pub(super) fn scope(query: Option<&str>) -> Result<Option<String>, Query> {
    let Some(query) = query else {
        return Ok(None);
    };
    let mut found = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let Some(value) = pair.strip_prefix("scope=") else {
            return Err(Query::Malformed);
        };
        if found.is_some() {
            return Err(Query::Malformed);
        }
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| Query::InvalidScope)?
            .into_owned();
        if !crate::access::is_scope(&value) {
            return Err(Query::InvalidScope);
        }
        found = Some(value);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_holds_one_scope_or_nothing() {
        assert_eq!(scope(None), Ok(None));
        assert_eq!(scope(Some("")), Ok(None));
        assert_eq!(scope(Some("scope=deploy")), Ok(Some("deploy".into())));
        assert_eq!(scope(Some("scope=api%3Aread")), Ok(Some("api:read".into())));
        for malformed in [
            "SCOPE=deploy",
            "sco%70e=deploy",
            "scope[]=deploy",
            "scope",
            "scope=a&scope=b",
            "scope=a&x=1",
            "x=1",
            "Scope=deploy",
        ] {
            assert_eq!(scope(Some(malformed)), Err(Query::Malformed), "{malformed}");
        }
        for invalid in ["scope=", "scope=a%20b", "scope=%ff"] {
            assert_eq!(scope(Some(invalid)), Err(Query::InvalidScope), "{invalid}");
        }
    }
}
