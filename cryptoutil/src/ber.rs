//! BER to DER normalisation.
//!
//! Devices and Apple send CMS structures in BER: indefinite lengths,
//! constructed (segmented) OCTET STRINGs, non-minimal lengths. The `der`
//! crate only accepts DER, so input is normalised here first:
//!
//! - indefinite and non-minimal lengths become minimal definite lengths;
//! - constructed universal string types (OCTET STRING, BIT STRING, the
//!   character strings, UTCTime and GeneralizedTime) become primitive, their
//!   segments concatenated in order;
//! - BOOLEAN `TRUE` becomes `0xFF`.
//!
//! Everything else is copied as is: SET OF is not re-sorted and INTEGER
//! contents are not touched, because signatures are computed over the
//! sender's encoding. Schema-dependent fix-ups (e.g. an IMPLICIT `[0]`
//! OCTET STRING sent in constructed form) are done by callers on the
//! `Tlv` tree with `Tlv::collapse_to_primitive`.
//!
//! Parsing recurses once per constructed level, bounded by
//! [`Limits::max_depth`]. Memory use is proportional to the input size,
//! never to declared lengths: every length is checked against the remaining
//! input before anything is allocated.

use thiserror::Error;

/// Limits applied while parsing BER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting of constructed values; the outermost counts as 1.
    ///
    /// Parsing recurses once per level, so keep this moderate (the default
    /// is 64; a few hundred is still safe on a 2 MiB thread stack).
    pub max_depth: usize,
    /// Maximum input length in bytes, checked before parsing starts.
    ///
    /// The parse tree costs up to about 22 times the input size (one node
    /// per value), so the default of 4 MiB bounds it near 100 MB. SCEP
    /// messages, `Mdm-Signature` headers and DEP token files are a few KiB.
    pub max_input_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_input_len: 4 * 1024 * 1024,
        }
    }
}

/// Why BER input was rejected.
///
/// Offsets are byte offsets into the input, pointing at the identifier
/// octet of the offending value unless stated otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BerError {
    /// The input is empty.
    #[error("input is empty")]
    Empty,
    /// The input is longer than [`Limits::max_input_len`].
    #[error("input of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Length of the input.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// Constructed values are nested deeper than [`Limits::max_depth`].
    #[error("nesting exceeds the maximum depth of {max}")]
    TooDeep {
        /// The configured limit.
        max: usize,
    },
    /// The input (or the enclosing value) ends inside an identifier or
    /// length; `offset` is where the missing byte should be.
    #[error("input truncated at offset {offset}")]
    Truncated {
        /// Offset of the missing byte.
        offset: usize,
    },
    /// A definite length runs past the end of the input or of the enclosing
    /// value; `offset` points at the length octets.
    #[error("length at offset {offset} runs past the end of the input")]
    LengthPastEnd {
        /// Offset of the first length octet.
        offset: usize,
    },
    /// A length is malformed: the reserved `0xFF`, more than 8 length
    /// octets, or a BOOLEAN whose length is not 1; `offset` points at the
    /// length octets.
    #[error("invalid length at offset {offset}")]
    BadLength {
        /// Offset of the first length octet.
        offset: usize,
    },
    /// A primitive value has an indefinite length.
    #[error("primitive value at offset {offset} has an indefinite length")]
    IndefiniteOnPrimitive {
        /// Offset of the value.
        offset: usize,
    },
    /// An indefinite-length value is not terminated by end-of-contents
    /// before the input (or the enclosing value) ends.
    #[error("indefinite-length value at offset {offset} has no end-of-contents marker")]
    MissingEndOfContents {
        /// Offset of the indefinite-length value.
        offset: usize,
    },
    /// An end-of-contents marker appears outside an indefinite-length value.
    #[error("unexpected end-of-contents marker at offset {offset}")]
    UnexpectedEndOfContents {
        /// Offset of the marker.
        offset: usize,
    },
    /// An identifier is malformed: non-minimal high-tag-number form, a tag
    /// number beyond `u32`, or the reserved universal tag 0 used for
    /// anything but end-of-contents.
    #[error("invalid tag at offset {offset}")]
    BadTag {
        /// Offset of the identifier octets.
        offset: usize,
    },
    /// A segment of a constructed string has the wrong tag, or is a BIT
    /// STRING segment without a valid unused-bits octet, or follows a BIT
    /// STRING segment with unused bits.
    #[error("invalid segment in constructed string at offset {offset}")]
    BadStringSegment {
        /// Offset of the segment.
        offset: usize,
    },
    /// Bytes follow the single top-level value.
    #[error("trailing data at offset {offset}")]
    TrailingData {
        /// Offset of the first trailing byte.
        offset: usize,
    },
}

/// Normalises one BER-encoded value to DER, rejecting trailing bytes after
/// it, with the default [`Limits`].
///
/// # Errors
///
/// Returns a [`BerError`] describing the first problem found.
pub fn to_der(input: &[u8]) -> Result<Vec<u8>, BerError> {
    to_der_with_limits(input, Limits::default())
}

/// Normalises one BER-encoded value to DER, rejecting trailing bytes after
/// it, with the given [`Limits`].
///
/// # Errors
///
/// Returns a [`BerError`] describing the first problem found.
pub fn to_der_with_limits(input: &[u8], limits: Limits) -> Result<Vec<u8>, BerError> {
    parse(input, limits).map(|tlv| encode(&tlv))
}

/// Class of a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Class {
    /// Universal (ASN.1 built-in types).
    Universal,
    /// Application-wide.
    Application,
    /// Context-specific (`[n]`).
    ContextSpecific,
    /// Private.
    Private,
}

impl Class {
    /// Class from the top two bits of an identifier octet.
    fn from_identifier(octet: u8) -> Self {
        match octet >> 6 {
            0 => Self::Universal,
            1 => Self::Application,
            2 => Self::ContextSpecific,
            _ => Self::Private,
        }
    }

    /// The class bits in position in an identifier octet.
    fn identifier_bits(self) -> u8 {
        match self {
            Self::Universal => 0x00,
            Self::Application => 0x40,
            Self::ContextSpecific => 0x80,
            Self::Private => 0xC0,
        }
    }
}

/// An identifier: class, primitive/constructed, tag number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Tag {
    /// The tag class.
    pub(crate) class: Class,
    /// Whether the encoding is constructed.
    pub(crate) constructed: bool,
    /// The tag number.
    pub(crate) number: u32,
}

/// Universal tag number of BOOLEAN.
const BOOLEAN: u32 = 1;
/// Universal tag number of BIT STRING.
const BIT_STRING: u32 = 3;
/// Universal tag number of OCTET STRING.
const OCTET_STRING: u32 = 4;

impl Tag {
    /// Appends the identifier octets (low or high tag number form).
    pub(crate) fn encode(self, out: &mut Vec<u8>) {
        let mut first = self.class.identifier_bits();
        if self.constructed {
            first |= 0x20;
        }
        if self.number < 0x1F {
            out.push(first | (self.number as u8));
            return;
        }
        out.push(first | 0x1F);
        let groups = (u32::BITS - self.number.leading_zeros()).div_ceil(7);
        for group in (0..groups).rev() {
            let bits = ((self.number >> (7 * group)) & 0x7F) as u8;
            out.push(if group == 0 { bits } else { bits | 0x80 });
        }
    }

    /// Number of identifier octets [`Tag::encode`] writes.
    pub(crate) fn encoded_len(self) -> usize {
        if self.number < 0x1F {
            1
        } else {
            1 + (u32::BITS - self.number.leading_zeros()).div_ceil(7) as usize
        }
    }

    /// Whether this is a universal string type that BER may segment.
    fn is_string_type(self) -> bool {
        self.class == Class::Universal && matches!(self.number, 3 | 4 | 12 | 18..=28 | 30)
    }
}

/// Contents of a [`Tlv`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// Contents octets of a primitive value.
    Primitive(Vec<u8>),
    /// Child values of a constructed value, in order.
    Constructed(Vec<Tlv>),
}

/// One tag-length-value, with its children if constructed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tlv {
    /// The identifier. [`encode`] takes the constructed bit from `value`.
    pub(crate) tag: Tag,
    /// The contents.
    pub(crate) value: Value,
}

impl Tlv {
    /// Turns a constructed string into a primitive value with the same
    /// class and number, concatenating its segments in order.
    ///
    /// Segments must be universal values of the string's own type if it is
    /// universal, otherwise OCTET STRINGs (the IMPLICIT `[0]` OCTET STRING
    /// case); constructed segments are flattened recursively. BIT STRING
    /// segments follow the BIT STRING rules. A primitive value is left
    /// unchanged.
    ///
    /// # Errors
    ///
    /// [`BerError::BadStringSegment`], with an offset relative to the start
    /// of this value's DER encoding. `self` is unchanged on error.
    pub(crate) fn collapse_to_primitive(&mut self) -> Result<(), BerError> {
        let Value::Constructed(children) = &self.value else {
            return Ok(());
        };
        let number = if self.tag.class == Class::Universal {
            self.tag.number
        } else {
            OCTET_STRING
        };
        let mut builder = StringBuilder::new(number);
        builder.push_children(children, header_len(self))?;
        self.tag.constructed = false;
        self.value = Value::Primitive(builder.finish());
        Ok(())
    }
}

/// Concatenates the segments of a constructed string.
struct StringBuilder {
    /// Universal tag number every segment must have.
    number: u32,
    /// Concatenated contents; for BIT STRING, starts with the unused-bits octet.
    data: Vec<u8>,
    /// Unused bits of the last BIT STRING segment seen.
    unused: Option<u8>,
}

impl StringBuilder {
    fn new(number: u32) -> Self {
        let data = if number == BIT_STRING {
            vec![0]
        } else {
            Vec::new()
        };
        Self {
            number,
            data,
            unused: None,
        }
    }

    /// Appends one segment found at `offset`.
    fn push(&mut self, segment: &Tlv, offset: usize) -> Result<(), BerError> {
        let bad = BerError::BadStringSegment { offset };
        if segment.tag.class != Class::Universal || segment.tag.number != self.number {
            return Err(bad);
        }
        let bytes = match &segment.value {
            Value::Constructed(children) => {
                return self.push_children(children, offset + header_len(segment));
            }
            Value::Primitive(bytes) => bytes,
        };
        if self.number != BIT_STRING {
            self.data.extend_from_slice(bytes);
            return Ok(());
        }
        let Some((&unused, bits)) = bytes.split_first() else {
            return Err(bad);
        };
        if unused > 7 || self.unused.is_some_and(|previous| previous != 0) {
            return Err(bad);
        }
        self.unused = Some(unused);
        self.data.extend_from_slice(bits);
        Ok(())
    }

    /// Appends the segments of a constructed value whose first child is at
    /// `offset` in its DER encoding.
    fn push_children(&mut self, children: &[Tlv], mut offset: usize) -> Result<(), BerError> {
        for child in children {
            self.push(child, offset)?;
            offset += encoded_len(child);
        }
        Ok(())
    }

    /// The primitive contents.
    fn finish(mut self) -> Vec<u8> {
        if let (Some(unused), Some(first)) = (self.unused, self.data.first_mut()) {
            *first = unused;
        }
        self.data
    }
}

/// Parses one BER value into a tree normalised per the module rules
/// (definite lengths, primitive universal strings, DER booleans), rejecting
/// trailing data.
///
/// # Errors
///
/// Returns a [`BerError`] describing the first problem found.
pub(crate) fn parse(input: &[u8], limits: Limits) -> Result<Tlv, BerError> {
    if input.is_empty() {
        return Err(BerError::Empty);
    }
    if input.len() > limits.max_input_len {
        return Err(BerError::TooLarge {
            len: input.len(),
            max: limits.max_input_len,
        });
    }
    let parser = Parser {
        input,
        max_depth: limits.max_depth,
    };
    let mut pos = 0;
    let tlv = parser
        .value(&mut pos, input.len(), 0)?
        .ok_or(BerError::UnexpectedEndOfContents { offset: 0 })?;
    if pos != input.len() {
        return Err(BerError::TrailingData { offset: pos });
    }
    Ok(tlv)
}

/// Encodes a tree as DER: minimal definite lengths, identifiers as given
/// except that the constructed bit follows the [`Value`] variant.
pub(crate) fn encode(tlv: &Tlv) -> Vec<u8> {
    let mut lengths = Vec::new();
    let total = measure(tlv, &mut lengths);
    let mut out = Vec::with_capacity(total);
    write(tlv, &lengths, &mut 0, &mut out);
    out
}

/// Returns the encoded length of `tlv`, recording the contents length of
/// every constructed value in pre-order.
fn measure(tlv: &Tlv, lengths: &mut Vec<usize>) -> usize {
    let content = match &tlv.value {
        Value::Primitive(bytes) => bytes.len(),
        Value::Constructed(children) => {
            let slot = lengths.len();
            lengths.push(0);
            let sum = children.iter().map(|child| measure(child, lengths)).sum();
            if let Some(length) = lengths.get_mut(slot) {
                *length = sum;
            }
            sum
        }
    };
    tlv.tag.encoded_len() + length_len(content) + content
}

/// Writes `tlv` using the contents lengths recorded by [`measure`];
/// `next` indexes the next constructed value's length.
fn write(tlv: &Tlv, lengths: &[usize], next: &mut usize, out: &mut Vec<u8>) {
    let constructed = matches!(tlv.value, Value::Constructed(_));
    Tag {
        constructed,
        ..tlv.tag
    }
    .encode(out);
    match &tlv.value {
        Value::Primitive(bytes) => {
            write_len(bytes.len(), out);
            out.extend_from_slice(bytes);
        }
        Value::Constructed(children) => {
            write_len(lengths.get(*next).copied().unwrap_or_default(), out);
            *next += 1;
            for child in children {
                write(child, lengths, next, out);
            }
        }
    }
}

/// Length of the DER encoding of `tlv`.
fn encoded_len(tlv: &Tlv) -> usize {
    let content = content_len(tlv);
    tlv.tag.encoded_len() + length_len(content) + content
}

/// Length of the identifier and length octets of `tlv` in DER.
fn header_len(tlv: &Tlv) -> usize {
    tlv.tag.encoded_len() + length_len(content_len(tlv))
}

/// Length of the contents octets of `tlv` in DER.
fn content_len(tlv: &Tlv) -> usize {
    match &tlv.value {
        Value::Primitive(bytes) => bytes.len(),
        Value::Constructed(children) => children.iter().map(encoded_len).sum(),
    }
}

/// Number of octets of a minimal definite length.
fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        1 + (usize::BITS - len.leading_zeros()).div_ceil(8) as usize
    }
}

/// Appends a minimal definite length.
fn write_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let octets = length_len(len) - 1;
    out.push(0x80 | octets as u8);
    for index in (0..octets).rev() {
        out.push((len >> (8 * index)) as u8);
    }
}

/// Identifier and length of a value, as read from the input.
struct Header {
    /// The identifier.
    tag: Tag,
    /// Offset of the first length octet.
    len_offset: usize,
    /// Definite length, or `None` for indefinite.
    len: Option<usize>,
}

/// Recursive-descent BER reader.
struct Parser<'a> {
    /// The whole input; offsets in errors index into it.
    input: &'a [u8],
    /// Maximum nesting of constructed values.
    max_depth: usize,
}

impl Parser<'_> {
    /// Reads one byte at `pos`, which must be before `limit`.
    fn byte(&self, pos: &mut usize, limit: usize) -> Result<u8, BerError> {
        let byte = self
            .input
            .get(*pos)
            .copied()
            .filter(|_| *pos < limit)
            .ok_or(BerError::Truncated { offset: *pos })?;
        *pos += 1;
        Ok(byte)
    }

    /// Reads identifier and length octets; a definite length is checked
    /// to fit before `limit`.
    fn header(&self, pos: &mut usize, limit: usize) -> Result<Header, BerError> {
        let start = *pos;
        let first = self.byte(pos, limit)?;
        let mut number = u32::from(first & 0x1F);
        if number == 0x1F {
            number = 0;
            let mut first_group = true;
            loop {
                let group = self.byte(pos, limit)?;
                if (first_group && group == 0x80) || number > u32::MAX >> 7 {
                    return Err(BerError::BadTag { offset: start });
                }
                first_group = false;
                number = (number << 7) | u32::from(group & 0x7F);
                if group & 0x80 == 0 {
                    break;
                }
            }
            if number < 0x1F {
                return Err(BerError::BadTag { offset: start });
            }
        }
        let tag = Tag {
            class: Class::from_identifier(first),
            constructed: first & 0x20 != 0,
            number,
        };

        let len_offset = *pos;
        let len = match self.byte(pos, limit)? {
            short @ 0x00..=0x7F => Some(usize::from(short)),
            0x80 => None,
            0xFF => return Err(BerError::BadLength { offset: len_offset }),
            long => {
                let octets = long & 0x7F;
                if octets > 8 {
                    return Err(BerError::BadLength { offset: len_offset });
                }
                let mut len = 0u64;
                for _ in 0..octets {
                    len = (len << 8) | u64::from(self.byte(pos, limit)?);
                }
                let len = usize::try_from(len)
                    .map_err(|_| BerError::LengthPastEnd { offset: len_offset })?;
                Some(len)
            }
        };
        if let Some(len) = len
            && len > limit - *pos
        {
            return Err(BerError::LengthPastEnd { offset: len_offset });
        }
        Ok(Header {
            tag,
            len_offset,
            len,
        })
    }

    /// Parses one value at `pos`, which must end before `limit`. Returns
    /// `None` for an end-of-contents marker; the caller decides whether one
    /// is allowed there. `depth` is the number of enclosing constructed values.
    fn value(&self, pos: &mut usize, limit: usize, depth: usize) -> Result<Option<Tlv>, BerError> {
        let start = *pos;
        let Header {
            tag,
            len_offset,
            len,
        } = self.header(pos, limit)?;

        if tag.class == Class::Universal && tag.number == 0 {
            return if !tag.constructed && len == Some(0) {
                Ok(None)
            } else {
                Err(BerError::BadTag { offset: start })
            };
        }

        if !tag.constructed {
            let len = len.ok_or(BerError::IndefiniteOnPrimitive { offset: start })?;
            let mut bytes = self
                .input
                .get(*pos..*pos + len)
                .ok_or(BerError::LengthPastEnd { offset: len_offset })?
                .to_vec();
            *pos += len;
            if tag.class == Class::Universal && tag.number == BOOLEAN {
                match bytes.as_mut_slice() {
                    [0] => {}
                    [octet] => *octet = 0xFF,
                    _ => return Err(BerError::BadLength { offset: len_offset }),
                }
            }
            return Ok(Some(Tlv {
                tag,
                value: Value::Primitive(bytes),
            }));
        }

        if depth >= self.max_depth {
            return Err(BerError::TooDeep {
                max: self.max_depth,
            });
        }
        // `end` is the end of a definite-length value; an indefinite-length
        // one must find its end-of-contents before the enclosing `limit`.
        let end = len.map(|len| *pos + len);
        let limit = end.unwrap_or(limit);
        let mut string = tag.is_string_type().then(|| StringBuilder::new(tag.number));
        let mut children = Vec::new();
        while end != Some(*pos) {
            if *pos >= limit {
                return Err(BerError::MissingEndOfContents { offset: start });
            }
            let child_start = *pos;
            let Some(child) = self.value(pos, limit, depth + 1)? else {
                if end.is_none() {
                    break;
                }
                return Err(BerError::UnexpectedEndOfContents {
                    offset: child_start,
                });
            };
            match &mut string {
                Some(builder) => builder.push(&child, child_start)?,
                None => children.push(child),
            }
        }
        Ok(Some(match string {
            Some(builder) => Tlv {
                tag: Tag {
                    constructed: false,
                    ..tag
                },
                value: Value::Primitive(builder.finish()),
            },
            None => Tlv {
                tag,
                value: Value::Constructed(children),
            },
        }))
    }
}

#[cfg(test)]
mod tests;
