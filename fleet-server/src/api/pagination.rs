//! Fleet's list options: `page` (0-based), `per_page`, `order_key`,
//! `order_direction` and `query`.

use super::{ApiError, ApiRequest};

/// `per_page` when `page` is given alone (Fleet's default).
pub const DEFAULT_PER_PAGE: u32 = 20;

/// The largest `per_page` accepted.
pub const MAX_PER_PAGE: u32 = 10_000;

/// `order_direction`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrderDirection {
    /// Ascending (the default).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// A list endpoint's options, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// 0-based page, if paging.
    pub page: Option<u32>,
    /// Page size, if paging.
    pub per_page: Option<u32>,
    /// The column to order by: one of the endpoint's allowed keys.
    pub order_key: Option<String>,
    /// Ascending or descending.
    pub order_direction: OrderDirection,
    /// The search text, if any (empty is none).
    pub query: Option<String>,
}

impl ListOptions {
    /// Reads the options from `req`'s query string. `order_keys` are the
    /// keys the endpoint can order by. A number that is not one is a 400;
    /// an unknown `order_key` or `order_direction` is a 422 naming it.
    pub fn from_request(req: &ApiRequest, order_keys: &[&str]) -> Result<Self, ApiError> {
        let number = |name: &str| -> Result<Option<u32>, ApiError> {
            req.query_param(name)
                .map(|v| {
                    v.parse::<u32>().map_err(|_| {
                        ApiError::bad_request(format!(
                            "{name} must be a non-negative integer, not {v:?}"
                        ))
                    })
                })
                .transpose()
        };
        let page = number("page")?;
        let per_page = number("per_page")?;
        if per_page == Some(0) || per_page.is_some_and(|p| p > MAX_PER_PAGE) {
            return Err(ApiError::validation(
                "per_page",
                format!("per_page must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        let order_key = req.query_param("order_key").filter(|k| !k.is_empty());
        if let Some(key) = order_key.as_deref().filter(|k| !order_keys.contains(k)) {
            return Err(ApiError::validation(
                "order_key",
                format!(
                    "cannot order by {key:?}; allowed: {}",
                    order_keys.join(", ")
                ),
            ));
        }
        let order_direction = match req.query_param("order_direction").as_deref() {
            None | Some("") | Some("asc") => OrderDirection::Asc,
            Some("desc") => OrderDirection::Desc,
            Some(other) => {
                return Err(ApiError::validation(
                    "order_direction",
                    format!("order_direction must be asc or desc, not {other:?}"),
                ));
            }
        };
        let query = req.query_param("query").filter(|q| !q.is_empty());
        Ok(Self {
            page,
            per_page,
            order_key,
            order_direction,
            query,
        })
    }

    /// `(limit, offset)` for SQL, or `None` for everything (neither
    /// `page` nor `per_page` given). `per_page` alone pages from 0; `page`
    /// alone uses [`DEFAULT_PER_PAGE`].
    pub fn limit_offset(&self) -> Option<(i64, i64)> {
        if self.page.is_none() && self.per_page.is_none() {
            return None;
        }
        let per_page = i64::from(self.per_page.unwrap_or(DEFAULT_PER_PAGE));
        let page = i64::from(self.page.unwrap_or(0));
        Some((per_page, page * per_page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(query: &str) -> Result<ListOptions, ApiError> {
        let request = http::Request::builder()
            .uri(format!("/api/v1/fleet/users?{query}"))
            .body(bytes::Bytes::new())
            .unwrap();
        ListOptions::from_request(&ApiRequest::new(request, Vec::new()), &["name", "email"])
    }

    #[test]
    fn neither_page_nor_per_page_lists_everything() {
        assert_eq!(options("").unwrap().limit_offset(), None);
    }

    #[test]
    fn page_alone_uses_twenty_per_page() {
        assert_eq!(options("page=2").unwrap().limit_offset(), Some((20, 40)));
        assert_eq!(
            options("page=1&per_page=5").unwrap().limit_offset(),
            Some((5, 5))
        );
        assert_eq!(options("per_page=5").unwrap().limit_offset(), Some((5, 0)));
    }

    #[test]
    fn an_order_key_outside_the_allow_list_is_a_validation_error_naming_it() {
        let e = options("order_key=password").unwrap_err();
        assert_eq!(e.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.errors()[0].name, "order_key");
        let ok = options("order_key=name&order_direction=desc&query=al%20ice").unwrap();
        assert_eq!(ok.order_key.as_deref(), Some("name"));
        assert_eq!(ok.order_direction, OrderDirection::Desc);
        assert_eq!(ok.query.as_deref(), Some("al ice"));
    }

    #[test]
    fn bad_numbers_and_directions_are_refused() {
        assert_eq!(
            options("page=-1").unwrap_err().status(),
            http::StatusCode::BAD_REQUEST
        );
        assert_eq!(
            options("per_page=x").unwrap_err().status(),
            http::StatusCode::BAD_REQUEST
        );
        assert_eq!(
            options("per_page=0").unwrap_err().errors()[0].name,
            "per_page"
        );
        assert_eq!(
            options("order_direction=up").unwrap_err().errors()[0].name,
            "order_direction"
        );
    }
}
