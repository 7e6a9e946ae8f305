//! Test support, behind the `testing` feature: the conformance suite every
//! [`Repo`](crate::Repo) implementation must pass.
//!
//! A backend runs the whole suite with one line, in a crate that has
//! `tokio` (with `macros` and `rt`) as a dev-dependency. The expression is
//! evaluated once per test and yields the repository, or a pair of the
//! repository and a guard (a temporary directory) dropped when the test
//! ends:
//!
//! ```ignore
//! munki::repo_conformance!(munki::MemoryRepo::new());
//! munki::repo_conformance!({
//!     let dir = tempfile::tempdir().unwrap();
//!     (munki::FileRepo::open(dir.path()).unwrap(), dir)
//! });
//! ```

use crate::Repo;

pub mod conformance;

/// Emits one `#[tokio::test]` per sentence of the [`Repo`] contract, each
/// calling the same-named function of [`conformance`] with a fresh
/// repository. Attributes given before the expression go on every test.
#[macro_export]
macro_rules! repo_conformance {
    ($(#[$attr:meta])* $make_repo:expr) => {
        $crate::repo_conformance!(@each [$(#[$attr])*] $make_repo;
            a_put_resource_reads_back_whole_with_its_length,
            a_missing_resource_is_not_found,
            read_range_returns_at_most_len_bytes_from_offset,
            new_content_replaces_the_old_and_changes_the_etag,
            the_etag_is_quoted_and_stable_while_the_content_stays,
            list_is_recursive_sorted_and_skips_hidden_files,
            listing_an_empty_kind_is_an_empty_list,
            kinds_are_separate_namespaces,
            a_deleted_resource_is_gone,
        );
    };
    (@each [$($attr:tt)*] $make_repo:expr; $name:ident, $($rest:ident,)*) => {
        #[tokio::test]
        $($attr)*
        async fn $name() {
            let fixture = $make_repo;
            let repo = $crate::testing::RepoFixture::repo(&fixture);
            $crate::testing::conformance::$name(repo).await;
        }
        $crate::repo_conformance!(@each [$($attr)*] $make_repo; $($rest,)*);
    };
    (@each [$($attr:tt)*] $make_repo:expr;) => {};
}

/// What [`repo_conformance!`](crate::repo_conformance) accepts: a
/// repository, or a repository with a guard that lives as long as the test.
pub trait RepoFixture {
    /// The repository under test.
    fn repo(&self) -> &dyn Repo;
}

impl<R: Repo> RepoFixture for R {
    fn repo(&self) -> &dyn Repo {
        self
    }
}

impl<R: Repo, G> RepoFixture for (R, G) {
    fn repo(&self) -> &dyn Repo {
        &self.0
    }
}
