# The rule language of the cert-* providers (INTERFACE section 2) over real
# TLS: every provider positive and negative, compositions with
# mod_authz_core, <Directory> and .htaccess, an untrusted twin certificate
# under optional_no_ca, and a TLS 1.2 renegotiation.
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;

# [path, certificate (undef: none), expected status, what a user relies on]
my @cases = (
    ['/p/subj-cn', 'client', 200, 'cert-subject CN=client1 grants client1'],
    ['/p/subj-cn', 'client2', 403, 'cert-subject CN=client1 refuses client2'],
    ['/p/subj-cn', undef, 403, 'cert-subject without a certificate: 403'],
    ['/p/subj-all', 'client', 200, 'four conditions on one line, all hold'],
    ['/p/subj-all', 'rules-multi', 403, 'four conditions, some fail'],
    ['/p/subj-names', 'client', 200, 'long and lower-case attribute names'],
    ['/p/subj-oid', 'client', 200, 'dotted OIDs as attribute names'],
    ['/p/subj-re', 'client', 200, 'a regex condition with an exact one'],
    ['/p/subj-re', 'rules-multi', 403, 'a regex that does not match'],
    ['/p/subj-case', 'client', 403, 'values are case-sensitive'],
    ['/p/subj-org', 'client', 200, 'O=MyOrg grants a real O=MyOrg'],
    ['/p/subj-org', 'rules-evil', 403,
     'CNs holding ",O=MyOrg", "/O=MyOrg", "+O=MyOrg" are no O=MyOrg'],
    ['/p/subj-evil', 'rules-evil', 200, '...they are CNs with those values'],
    ['/p/subj-ou-b', 'rules-multi', 200,
     'the second value of a multi-valued RDN OU=a+OU=b'],
    ['/p/subj-ou-ca', 'rules-multi', 200,
     'a second OU RDN and a value of the multi-valued one'],
    ['/p/subj-ou-d', 'rules-multi', 403, 'no OU value d'],
    ['/p/subj-societe', 'rules-tprint', 200,
     'O=Société matches a T61String O (PrintableString OU)'],
    ['/p/subj-societe', 'rules-tutf8', 200, '...and UTF8String values'],
    ['/p/subj-societe', 'rules-tbmp', 200, '...and BMPString values'],
    ['/p/subj-societe', 'client', 403, '...and not O=MyOrg'],
    ['/p/subj-societe-re', 'rules-tbmp', 200,
     'a regex "." matches one non-ASCII character (UTF mode)'],
    ['/p/subj-societe-re', 'rules-tprint', 200, '...also from a T61String'],
    ['/p/iss', 'client', 200, 'cert-issuer with three conditions'],
    ['/p/iss', 'client2', 403, 'cert-issuer refuses the other CA'],
    ['/p/iss-re', 'client2', 200, 'cert-issuer regex'],
    ['/p/iss-re', 'client', 403, 'cert-issuer regex refuses the other CA'],
    ['/p/serial', 'client', 200, 'cert-serial 0x1001'],
    ['/p/serial', 'client2', 403, 'cert-serial refuses serial 1002'],
    ['/p/serial-spellings', 'client', 200, 'cert-serial 00:10:01 is 0x1001'],
    ['/p/serial-long', 'rules-long', 200, 'a 20-byte serial'],
    ['/p/serial-long', 'client', 403, 'the 20-byte serial refuses others'],
    ['/p/fp', 'client', 200, 'cert-fingerprint: lower-case hex'],
    ['/p/fp', 'client2', 403, 'cert-fingerprint refuses another certificate'],
    ['/p/fp-colons', 'client', 200,
     'cert-fingerprint: sha256: prefix, colons, upper case, second of two'],
    ['/p/san-email', 'client', 200, 'cert-san email exact'],
    ['/p/san-email', 'client2', 403, 'cert-san: a certificate without SAN'],
    ['/p/san-email-domain', 'client', 200, 'cert-san email:*@EXAMPLE.com'],
    ['/p/san-email-domain', 'rules-san', 200,
     '...against an upper-case domain Alice@Example.COM'],
    ['/p/san-dns', 'rules-san', 200,
     'dns:*.example.com matches Host.Example.COM'],
    ['/p/san-dns', 'client', 403, 'dns:*.example.com refuses an email SAN'],
    ['/p/san-dns-deep', 'rules-san', 403,
     'dns:*.example.org does not match a.b.example.org'],
    ['/p/san-uri', 'rules-san', 200, 'uri: prefix'],
    ['/p/san-uri', 'client', 403, 'uri: refuses a certificate without URI'],
    ['/p/san-ip', 'rules-san', 200, 'ip: IPv4 CIDR'],
    ['/p/san-ip6', 'rules-san', 200, 'ip: IPv6 CIDR'],
    ['/p/san-ip4-mapped', 'rules-san', 403,
     'an IPv4 pattern does not match an IPv4-mapped IPv6 SAN'],
    ['/p/all', 'client', 200, 'RequireAll of subject and issuer'],
    ['/p/all', 'rules-tutf8', 403, 'RequireAll: one fails'],
    ['/p/any', 'client', 200, 'RequireAny: second alternative'],
    ['/p/any', 'client2', 200, 'RequireAny: first alternative'],
    ['/p/any', 'rules-multi', 403, 'RequireAny: neither'],
    ['/p/any', undef, 403, 'RequireAny: no certificate'],
    ['/p/none', 'client', 403, 'RequireNone: a matching subject excludes'],
    ['/p/none', 'rules-san', 403, 'RequireNone: a matching SAN excludes'],
    ['/p/none', 'client2', 200, 'RequireNone: neither matches'],
    ['/p/none', undef, 403,
     'RequireNone: no certificate is not let in by a negation'],
    ['/p/not', 'client', 403, 'Require not: O=MyOrg excluded'],
    ['/p/not', 'client2', 200, 'Require not: O=OtherOrg allowed'],
    ['/p/alias', 'client', 200, 'AuthzProviderAlias with two conditions'],
    ['/p/alias', 'rules-multi', 403, 'AuthzProviderAlias: OU differs'],
    ['/rules-dir/ok.html', 'client', 200, 'cert-subject in <Directory>'],
    ['/rules-dir/ok.html', 'client2', 403,
     'cert-subject in <Directory> refuses'],
    ['/rules-ht/ok.html', 'client', 200, 'cert-san in .htaccess'],
    ['/rules-ht/ok.html', 'client2', 403, 'cert-san in .htaccess refuses'],
);

# On optional_no_ca every rule matches the untrusted twin's fields.
my @noca = qw(/p/subj /p/iss /p/serial /p/fp /p/san);

plan tests => @cases + 2 * @noca + 2 + 6;

for my $c (@cases) {
    my ($path, $cert, $want, $what) = @$c;
    is(get_status('certauthz_rules', $path, $cert ? (cert => $cert) : ()),
       $want, "$what ($path, " . ($cert // 'no cert') . ")");
}

for my $path (@noca) {
    is(get_status('certauthz_rules_noca', $path, cert => 'client'), 200,
       "optional_no_ca $path: the trusted certificate matches");
    is(get_status('certauthz_rules_noca', $path, cert => 'rules-rogue'), 403,
       "optional_no_ca $path: its untrusted twin is refused");
}

{
    my $mark = error_log_mark();
    is(get_status('certauthz_rules', '/rules-htbad/ok.html', cert => 'client'),
       500, 'a malformed argument in .htaccess is a server error, not a grant');
    select undef, undef, undef, 0.2;
    like(error_log_since($mark),
         qr/rules-htbad\/\.htaccess.*'not-a-serial'|'not-a-serial'.*rules-htbad/s,
         '...logged with the .htaccess file and the bad token');
}

# TLS 1.2 renegotiation on one connection: a request without a certificate,
# then /p/reneg where mod_ssl asks for one.  The next requests on the same
# connection are judged on the new certificate, not the empty first state.
{
    my @codes = eval {
        keepalive_statuses('certauthz_rules_reneg',
            [qw(/p/open /p/rsubj /p/reneg /p/rsubj /p/rvalid)],
            cert => 'client', tls => 'TLSv1_2');
    };
    diag("renegotiation: $@") if $@;
    is($codes[0], 200, 'reneg (client1): an open page before any certificate');
    is($codes[1], 403, 'reneg (client1): cert-subject before the certificate');
    is($codes[2], 200,
       'reneg (client1): the renegotiated matching certificate is granted');
    is("@codes[3,4]", '200 200',
       'reneg (client1): later requests see the new certificate');

    @codes = eval {
        keepalive_statuses('certauthz_rules_reneg',
            [qw(/p/open /p/reneg /p/rvalid /p/rsubj)],
            cert => 'client2', tls => 'TLSv1_2');
    };
    diag("renegotiation: $@") if $@;
    is("@codes[0,1]", '200 403',
       'reneg (client2): a renegotiated non-matching certificate is refused');
    is("@codes[2,3]", '200 403',
       'reneg (client2): later requests are judged on client2, not a stale '
       . 'identity');
}
