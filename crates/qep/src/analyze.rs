//! `qep analyze`: national-scale indicators straight from register exports, no database.
//!
//! Reads a request register (`id,prefecture,service,channel,received_at,replied_at`) and a
//! call log (`id,prefecture,line,started_at,answered,rings`) for any number of prefectures and
//! prints, per prefecture × month (× channel for requests), the counts the bench peers print
//! (`/work/shared/bench`, `common.py`), in exactly their table format:
//!
//! ```text
//! # emails
//! prefecture,month,channel,n,answered,within5,sum_delay,rate_within5,mean_delay
//! # calls
//! prefecture,month,n,answered,sum_rings_answered,rate_answered
//! ```
//!
//! The delay of an answered request is the engine's response time, the working days in
//! `(received, answered]` of the prefecture's territory (one [`WorkingCalendar`] per territory,
//! built once); it is within the deadline when it is at most `--deadline` working days.
//!
//! Each file is cut into as many byte ranges as there are threads, at line boundaries; every
//! thread reads its range with its own file handle and a fixed buffer, parses the lines by
//! hand (no allocation per row) and aggregates into its own tables, merged at the end.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{Read, Seek, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use chrono::{Datelike as _, NaiveDate};
use qep_core::calendar::{
    CalendarSettings, DEFAULT_SPAN_END, DEFAULT_SPAN_START, Territory, WorkingCalendar,
};
use qep_core::prefecture::Department;

use crate::error::{CliError, CliResult};

/// What `qep analyze` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub emails: PathBuf,
    pub calls: PathBuf,
    /// Deadline in working days after the receipt date (day 0).
    pub deadline: u32,
    /// Worker threads; `None` = available parallelism.
    pub threads: Option<usize>,
}

const EMAILS_HEADER: &str = "id,prefecture,service,channel,received_at,replied_at";
const CALLS_HEADER: &str = "id,prefecture,line,started_at,answered,rings";
/// Read buffer of each thread.
const BUF: usize = 1 << 20;

/// Runs the analysis and prints the table on stdout.
pub fn run(options: &Options) -> CliResult {
    let table = analyze(options)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(table.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Runs the analysis and returns the table as text.
pub fn analyze(options: &Options) -> CliResult<String> {
    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let ctx = Context::new(options.deadline);

    let emails = scan_file(&options.emails, EMAILS_HEADER, threads, || {
        EmailAcc::new(&ctx)
    })?;
    let mut email_groups: BTreeMap<(u8, u32, Vec<u8>), [u64; 4]> = BTreeMap::new();
    for acc in emails {
        for (key, v) in acc.groups {
            let channel = acc.channels[(key & 0xff) as usize].clone();
            let g = email_groups
                .entry(((key >> 24) as u8, (key >> 8) & 0xffff, channel))
                .or_default();
            for (a, b) in g.iter_mut().zip(v) {
                *a += b;
            }
        }
    }

    let calls = scan_file(&options.calls, CALLS_HEADER, threads, || CallAcc::new(&ctx))?;
    let mut call_groups = vec![[0u64; 3]; ctx.prefectures.codes.len() * ctx.months];
    for acc in calls {
        for (g, v) in call_groups.iter_mut().zip(acc.groups) {
            for (a, b) in g.iter_mut().zip(v) {
                *a += b;
            }
        }
    }

    let mut out = String::with_capacity(64 * (email_groups.len() + 4096));
    let n = options.deadline;
    out.push_str("# emails\n");
    let _ = writeln!(
        out,
        "prefecture,month,channel,n,answered,within{n},sum_delay,rate_within{n},mean_delay"
    );
    for ((pref, month, channel), [count, answered, within, sum_delay]) in &email_groups {
        let _ = write!(
            out,
            "{},{},{},{count},{answered},{within},{sum_delay},{:.6},",
            ctx.prefectures.codes[*pref as usize],
            ctx.month_label(*month as usize),
            String::from_utf8_lossy(channel),
            *within as f64 / *count as f64,
        );
        if *answered > 0 {
            let _ = write!(out, "{:.6}", *sum_delay as f64 / *answered as f64);
        }
        out.push('\n');
    }
    out.push_str("# calls\n");
    out.push_str("prefecture,month,n,answered,sum_rings_answered,rate_answered\n");
    for (i, [count, answered, rings]) in call_groups.iter().enumerate() {
        if *count == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "{},{},{count},{answered},{rings},{:.6}",
            ctx.prefectures.codes[i / ctx.months],
            ctx.month_label(i % ctx.months),
            *answered as f64 / *count as f64,
        );
    }
    Ok(out)
}

/// The département codes, sorted as the output is (byte order), with a constant-time lookup.
struct Prefectures {
    codes: Vec<&'static str>,
    territory: Vec<Territory>,
    /// Index + 1 of a two-character code, by `b0 * 256 + b1`; 0 = unknown.
    two: Vec<u8>,
    /// Index + 1 of `97x`, by `x`; 0 = unknown.
    three: [u8; 256],
}

impl Prefectures {
    fn new() -> Prefectures {
        let mut codes: Vec<&'static str> = Department::all().map(|d| d.code()).collect();
        codes.sort_unstable();
        let territory = codes
            .iter()
            .map(|c| Territory::from_department(c).unwrap_or(Territory::Metropole))
            .collect();
        let mut two = vec![0u8; 1 << 16];
        let mut three = [0u8; 256];
        for (i, code) in codes.iter().enumerate() {
            let b = code.as_bytes();
            let tag = u8::try_from(i + 1).unwrap_or(0);
            match b {
                [x, y] => two[usize::from(*x) << 8 | usize::from(*y)] = tag,
                [b'9', b'7', z] => three[usize::from(*z)] = tag,
                _ => {}
            }
        }
        Prefectures {
            codes,
            territory,
            two,
            three,
        }
    }

    /// Index of the département `raw`; canonical codes in constant time, other spellings
    /// (`1`, `2a`, ` 974 `) through [`Department::parse`], whose message names a bad code.
    #[inline]
    fn lookup(&self, raw: &[u8]) -> Result<usize, String> {
        let tag = match raw {
            [x, y] => self.two[usize::from(*x) << 8 | usize::from(*y)],
            [b'9', b'7', z] => self.three[usize::from(*z)],
            _ => 0,
        };
        if tag > 0 {
            return Ok(usize::from(tag) - 1);
        }
        let code = Department::parse(&String::from_utf8_lossy(raw))
            .map_err(|e| e.to_string())?
            .code();
        Ok(self.codes.iter().position(|c| *c == code).unwrap_or(0))
    }
}

/// Shared, read-only state of all threads.
struct Context {
    prefectures: Prefectures,
    /// One calendar per territory, built once; indexed like [`Territory::ALL`].
    calendars: Vec<WorkingCalendar>,
    /// Calendar index of each prefecture.
    calendar_of: Vec<usize>,
    deadline: u32,
    first_year: i32,
    last_year: i32,
    /// Months in the calendar span: the dense month index is `(year - first_year) * 12 + m - 1`.
    months: usize,
}

impl Context {
    fn new(deadline: u32) -> Context {
        let prefectures = Prefectures::new();
        let settings = CalendarSettings::default();
        let used: Vec<Territory> = Territory::ALL
            .into_iter()
            .filter(|t| prefectures.territory.contains(t))
            .collect();
        let calendars = used
            .iter()
            .map(|t| WorkingCalendar::new(*t, &settings))
            .collect();
        let calendar_of = prefectures
            .territory
            .iter()
            .map(|t| used.iter().position(|u| u == t).unwrap_or(0))
            .collect();
        let first_year = DEFAULT_SPAN_START.year();
        let last_year = DEFAULT_SPAN_END.year();
        Context {
            prefectures,
            calendars,
            calendar_of,
            deadline,
            first_year,
            last_year,
            months: usize::try_from(last_year - first_year + 1).unwrap_or(0) * 12,
        }
    }

    fn month_label(&self, index: usize) -> String {
        format!(
            "{:04}-{:02}",
            self.first_year + (index / 12) as i32,
            index % 12 + 1
        )
    }

    /// Dense month index of a parsed date, if its year is inside the calendar span.
    #[inline]
    fn month_index(&self, (y, m, _): (i32, u32, u32)) -> Option<usize> {
        if y < self.first_year || y > self.last_year {
            return None;
        }
        Some((y - self.first_year) as usize * 12 + m as usize - 1)
    }
}

/// A parser-aggregator of one kind of line, one per thread.
trait Acc: Send {
    fn line(&mut self, line: &[u8]) -> Result<(), String>;
}

/// Minimal multiplicative hasher for the small integer keys of the per-thread tables.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

type KeyMap<V> = HashMap<u32, V, BuildHasherDefault<KeyHasher>>;

/// Requests: per (prefecture, month, channel) `[n, answered, within, sum_delay]`.
struct EmailAcc<'a> {
    ctx: &'a Context,
    /// Channel names met by this thread; the key holds their index.
    channels: Vec<Vec<u8>>,
    /// Key: prefecture << 24 | month << 8 | channel.
    groups: KeyMap<[u64; 4]>,
}

impl<'a> EmailAcc<'a> {
    fn new(ctx: &'a Context) -> EmailAcc<'a> {
        EmailAcc {
            ctx,
            channels: Vec::new(),
            groups: KeyMap::default(),
        }
    }

    #[inline]
    fn channel(&mut self, raw: &[u8]) -> Result<u32, String> {
        if let Some(i) = self.channels.iter().position(|c| c == raw) {
            return Ok(i as u32);
        }
        if self.channels.len() == 256 {
            return Err("plus de 256 canaux différents".to_owned());
        }
        self.channels.push(raw.to_vec());
        Ok((self.channels.len() - 1) as u32)
    }
}

impl Acc for EmailAcc<'_> {
    fn line(&mut self, line: &[u8]) -> Result<(), String> {
        let [_id, pref, _service, channel, received, replied] = fields::<6>(line)?;
        let ctx = self.ctx;
        let p = ctx.prefectures.lookup(pref)?;
        let r = parse_date(received).ok_or_else(|| bad_timestamp("received_at", received))?;
        let month = ctx
            .month_index(r)
            .ok_or_else(|| bad_timestamp("received_at", received))?;
        let cal = &ctx.calendars[ctx.calendar_of[p]];
        let received_on = naive(r).ok_or_else(|| bad_timestamp("received_at", received))?;
        let (answered, within, delay) = if replied.is_empty() {
            // Still checks that the receipt date is inside the calendar span.
            cal.is_working_day(received_on)
                .map_err(|e| format!("received_at : {e}"))?;
            (0, 0, 0)
        } else {
            let a = parse_date(replied)
                .and_then(naive)
                .ok_or_else(|| bad_timestamp("replied_at", replied))?;
            let delay = cal
                .working_days_between(received_on, a)
                .map_err(|e| format!("replied_at : {e}"))?;
            let within = qep_core::registers::deadline::is_on_time(delay, ctx.deadline);
            (1, u64::from(within), u64::from(delay))
        };
        let c = self.channel(channel)?;
        let key = (p as u32) << 24 | (month as u32) << 8 | c;
        let g = self.groups.entry(key).or_default();
        g[0] += 1;
        g[1] += answered;
        g[2] += within;
        g[3] += delay;
        Ok(())
    }
}

/// Calls: dense per (prefecture, month) `[n, answered, sum_rings_answered]`.
struct CallAcc<'a> {
    ctx: &'a Context,
    groups: Vec<[u64; 3]>,
}

impl<'a> CallAcc<'a> {
    fn new(ctx: &'a Context) -> CallAcc<'a> {
        CallAcc {
            ctx,
            groups: vec![[0; 3]; ctx.prefectures.codes.len() * ctx.months],
        }
    }
}

impl Acc for CallAcc<'_> {
    fn line(&mut self, line: &[u8]) -> Result<(), String> {
        let [_id, pref, _line, started, answered, rings] = fields::<6>(line)?;
        let ctx = self.ctx;
        let p = ctx.prefectures.lookup(pref)?;
        let month = parse_date(started)
            .and_then(|d| ctx.month_index(d))
            .ok_or_else(|| bad_timestamp("started_at", started))?;
        let answered = match answered {
            b"1" => 1,
            b"0" => 0,
            _ => {
                return Err(format!(
                    "answered : « {} » au lieu de 0 ou 1",
                    String::from_utf8_lossy(answered)
                ));
            }
        };
        let rings = parse_uint(rings).ok_or_else(|| {
            format!(
                "rings : « {} » n'est pas un entier positif",
                String::from_utf8_lossy(rings)
            )
        })?;
        let g = &mut self.groups[p * ctx.months + month];
        g[0] += 1;
        g[1] += answered;
        g[2] += rings * answered;
        Ok(())
    }
}

#[cold]
fn bad_timestamp(column: &str, raw: &[u8]) -> String {
    format!(
        "{column} : « {} » n'est pas une date AAAA-MM-JJ[THH:MM:SS] du calendrier (1990 à 2100)",
        String::from_utf8_lossy(raw)
    )
}

/// Splits a line into exactly `N` comma-separated fields (no quoting: the exports have none).
#[inline]
fn fields<const N: usize>(line: &[u8]) -> Result<[&[u8]; N], String> {
    let mut out: [&[u8]; N] = [&[]; N];
    let mut start = 0;
    let mut k = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == b',' {
            if k + 1 == N {
                return Err(format!("plus de {N} colonnes"));
            }
            out[k] = &line[start..i];
            k += 1;
            start = i + 1;
        } else if b == b'"' {
            return Err("guillemets non pris en charge".to_owned());
        }
    }
    if k + 1 != N {
        return Err(format!("{} colonne(s) au lieu de {N}", k + 1));
    }
    out[k] = &line[start..];
    Ok(out)
}

#[inline]
fn digit(b: u8) -> Option<u32> {
    let d = b.wrapping_sub(b'0');
    (d < 10).then_some(u32::from(d))
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space and a time (not checked further):
/// (year, month, day) with the day checked against the month.
#[inline]
fn parse_date(b: &[u8]) -> Option<(i32, u32, u32)> {
    if b.len() < 10
        || b[4] != b'-'
        || b[7] != b'-'
        || (b.len() > 10 && !matches!(b[10], b'T' | b' '))
    {
        return None;
    }
    let y = digit(b[0])? * 1000 + digit(b[1])? * 100 + digit(b[2])? * 10 + digit(b[3])?;
    let m = digit(b[5])? * 10 + digit(b[6])?;
    let d = digit(b[8])? * 10 + digit(b[9])?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y as i32, m, d))
}

#[inline]
fn naive((y, m, d): (i32, u32, u32)) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

#[inline]
fn parse_uint(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    b.iter()
        .try_fold(0u64, |n, &c| Some(n * 10 + u64::from(digit(c)?)))
}

/// Position of the first `\n`, eight bytes at a time.
#[inline]
fn find_newline(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let x = u64::from_le_bytes(w) ^ (ONES * u64::from(b'\n'));
        let t = x.wrapping_sub(ONES) & !x & HIGHS;
        if t != 0 {
            return Some(i + (t.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    s[i..].iter().position(|&c| c == b'\n').map(|k| i + k)
}

fn io_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::Runtime(format!("{} : {e}", path.display()))
}

/// Checks the header line, cuts the rest of the file into `threads` ranges at line starts,
/// and runs one accumulator per range on its own thread.
fn scan_file<A: Acc>(
    path: &Path,
    expected_header: &str,
    threads: usize,
    make: impl Fn() -> A + Sync,
) -> CliResult<Vec<A>> {
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    let mut head = vec![0u8; 64 * 1024];
    let n = read_full(&mut file, &mut head).map_err(|e| io_error(path, e))?;
    head.truncate(n);
    let (header, data_start) = match find_newline(&head) {
        Some(k) => (&head[..k], k as u64 + 1),
        None => (&head[..], len),
    };
    let header = header.strip_prefix(b"\xef\xbb\xbf").unwrap_or(header);
    let header = header.strip_suffix(b"\r").unwrap_or(header);
    if header != expected_header.as_bytes() {
        return Err(CliError::Input(format!(
            "{} ligne 1 : en-tête « {} » au lieu de « {expected_header} »",
            path.display(),
            String::from_utf8_lossy(header)
        )));
    }

    // Range boundaries: each one moved to the start of the line it falls in the middle of.
    let mut bounds = vec![data_start];
    for k in 1..threads as u64 {
        let nominal = data_start + (len - data_start) * k / threads as u64;
        let prev = *bounds.last().unwrap_or(&data_start);
        let b =
            next_line_start(&mut file, nominal.max(prev), len).map_err(|e| io_error(path, e))?;
        bounds.push(b.max(prev));
    }
    bounds.push(len);

    let results: Vec<Result<A, (u64, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                let make = &make;
                s.spawn(move || {
                    let mut acc = make();
                    scan_range(path, start, end, &mut acc)?;
                    Ok(acc)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err((0, "fil d'analyse interrompu".to_owned())))
            })
            .collect()
    });

    let mut accs = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(acc) => accs.push(acc),
            // Ranges are in file order: the first error is the one of the earliest line.
            Err((offset, problem)) => {
                let line = line_number(path, offset).map_err(|e| io_error(path, e))?;
                return Err(CliError::Input(format!(
                    "{} ligne {line} : {problem}",
                    path.display()
                )));
            }
        }
    }
    Ok(accs)
}

/// The start of the first line that begins at or after `pos` (`len` if none).
fn next_line_start(file: &mut File, pos: u64, len: u64) -> std::io::Result<u64> {
    if pos == 0 || pos >= len {
        return Ok(pos.min(len));
    }
    // The byte before `pos` decides: a newline there means `pos` starts a line.
    let mut at = pos - 1;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        file.seek(SeekFrom::Start(at))?;
        let n = read_full(file, &mut buf)?;
        if n == 0 {
            return Ok(len);
        }
        if let Some(k) = find_newline(&buf[..n]) {
            return Ok(at + k as u64 + 1);
        }
        at += n as u64;
    }
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Feeds `acc` every line whose first byte lies in `[start, end)`; `start` is a line start.
/// An error carries the byte offset of its line.
fn scan_range(path: &Path, start: u64, end: u64, acc: &mut impl Acc) -> Result<(), (u64, String)> {
    let io = |e: std::io::Error| (start, format!("lecture : {e}"));
    if start >= end {
        return Ok(());
    }
    let mut file = File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut buf = vec![0u8; BUF];
    let mut filled = 0;
    // File offset of buf[0].
    let mut base = start;
    loop {
        let n = read_full(&mut file, &mut buf[filled..]).map_err(io)?;
        let eof = filled + n < buf.len();
        filled += n;
        let mut i = 0;
        while base + (i as u64) < end {
            let Some(k) = find_newline(&buf[i..filled]) else {
                break;
            };
            feed(acc, &buf[i..i + k], base + i as u64)?;
            i += k + 1;
        }
        if base + (i as u64) >= end {
            return Ok(());
        }
        if eof {
            if i < filled {
                feed(acc, &buf[i..filled], base + i as u64)?;
            }
            return Ok(());
        }
        buf.copy_within(i..filled, 0);
        base += i as u64;
        filled -= i;
        if filled == buf.len() {
            // A line longer than the buffer.
            buf.resize(buf.len() * 2, 0);
        }
    }
}

#[inline]
fn feed(acc: &mut impl Acc, line: &[u8], offset: u64) -> Result<(), (u64, String)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Ok(());
    }
    acc.line(line).map_err(|e| (offset, e))
}

/// 1-based line number of the line starting at byte `offset`.
fn line_number(path: &Path, offset: u64) -> std::io::Result<u64> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; BUF];
    let mut seen = 0u64;
    let mut lines = 1u64;
    while seen < offset {
        let want = usize::try_from((offset - seen).min(BUF as u64)).unwrap_or(BUF);
        let n = read_full(&mut file, &mut buf[..want])?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        seen += n as u64;
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_fields() {
        assert_eq!(parse_date(b"2024-02-29T10:00:00"), Some((2024, 2, 29)));
        assert_eq!(parse_date(b"2025-02-29T10:00:00"), None);
        assert_eq!(parse_date(b"2025-13-01"), None);
        assert_eq!(parse_date(b"2025-1-01"), None);
        assert_eq!(find_newline(b"0123456789\nab"), Some(10));
        assert_eq!(find_newline(b"abc"), None);
        assert!(fields::<3>(b"a,b").is_err());
        assert!(fields::<3>(b"a,b,c,d").is_err());
        assert_eq!(fields::<3>(b"a,,c").ok(), Some([&b"a"[..], b"", b"c"]));
    }

    #[test]
    fn prefecture_lookup() {
        let p = Prefectures::new();
        let code = |raw: &[u8]| p.lookup(raw).ok().map(|i| p.codes[i]);
        assert_eq!(code(b"2A"), Some("2A"));
        assert_eq!(code(b"974"), Some("974"));
        assert_eq!(code(b"1"), Some("01"));
        assert!(p.lookup(b"20").is_err());
        assert!(p.lookup(b"975").is_err());
    }
}
