#!/usr/bin/perl
# resign.pl IN.der OUT.der CA.key PLACEHOLDER HEX [PLACEHOLDER HEX ...]
#
# Replace placeholders in a certificate's to-be-signed part by the bytes
# given in hex (same length, so no ASN.1 length changes) and sign it again
# with the CA key.  This is how the tests get certificate names holding bytes
# that no openssl command line can carry (NUL, CR, ESC, raw bytes in a SAN):
# the result is a certificate the CA really signed, as a hostile enrolment
# would obtain.
use strict;
use warnings;

my ($in, $out, $key, @pairs) = @ARGV;
@pairs && @pairs % 2 == 0 or die "usage: $0 IN OUT KEY PLACEHOLDER HEX ...\n";

open my $fh, '<:raw', $in or die "$in: $!\n";
my $der = do { local $/; <$fh> };
close $fh;

# (header length, content length) of the DER element at $off.
sub tlv {
    my ($buf, $off) = @_;
    my $l = ord substr($buf, $off + 1, 1);
    my $hl = 2;
    if ($l & 0x80) {
        my $n = $l & 0x7f;
        $l = 0;
        $l = $l * 256 + ord substr($buf, $off + 2 + $_, 1) for 0 .. $n - 1;
        $hl += $n;
    }
    return ($hl, $l);
}

sub element {
    my ($tag, $body) = @_;
    my $l = length $body;
    my $len;
    if ($l < 0x80) {
        $len = chr $l;
    }
    else {
        my $b = '';
        while ($l) { $b = chr($l & 0xff) . $b; $l >>= 8 }
        $len = chr(0x80 | length $b) . $b;
    }
    return chr($tag) . $len . $body;
}

# Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
my ($hl) = tlv($der, 0);
my ($thl, $tl) = tlv($der, $hl);
my $tbs = substr($der, $hl, $thl + $tl);
my ($ahl, $al) = tlv($der, $hl + $thl + $tl);
my $alg = substr($der, $hl + $thl + $tl, $ahl + $al);

while (my ($ph, $hex) = splice @pairs, 0, 2) {
    my $rep = pack 'H*', $hex;
    length($rep) == length($ph)
        or die "$in: replacement for $ph is not ", length($ph), " bytes\n";
    my $n = ($tbs =~ s/\Q$ph\E/$rep/g);
    $n == 1 or die "$in: placeholder $ph found $n times\n";
}

open my $t, '>:raw', "$out.tbs" or die "$out.tbs: $!\n";
print $t $tbs;
close $t;
my $sig = `openssl dgst -sha256 -sign '$key' '$out.tbs'`;
my $status = $?;
unlink "$out.tbs";
$status == 0 && length $sig or die "$in: signing failed\n";

open my $o, '>:raw', $out or die "$out: $!\n";
print $o element(0x30, $tbs . $alg . element(0x03, "\0" . $sig));
close $o;
