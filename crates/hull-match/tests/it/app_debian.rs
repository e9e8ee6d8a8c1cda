//! app-debian language findings (filled in below).
