/* Unit tests of src/rule.c: the Require cert-* argument language on
 * certificates built in memory with exactly the ASN.1 each case needs. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "src/certinfo.h"
#include "src/rule.h"
#include "t/unit/certgen.h"
#include "t/unit/tap.h"

static apr_pool_t *pool;

#define S CERTAUTHZ_RULE_SUBJECT
#define I CERTAUTHZ_RULE_ISSUER
#define SER CERTAUTHZ_RULE_SERIAL
#define FP CERTAUTHZ_RULE_FINGERPRINT
#define SAN CERTAUTHZ_RULE_SAN
#define V CERTAUTHZ_RULE_VALID

/* Compile the NULL-terminated arguments; returns the error or NULL. */
static const char *vcompile(certauthz_rule_kind_e kind, certauthz_rule_t **r,
                            va_list ap)
{
    const char *argv[16];
    int argc = 0;
    const char *a;

    while ((a = va_arg(ap, const char *)) != NULL && argc < 16) {
        argv[argc++] = a;
    }
    return certauthz_rule_compile(pool, kind, argc, argv, r);
}

/* 1 match, 0 no match, -1 the arguments were refused. */
static int m(const certauthz_cert_t *c, certauthz_rule_kind_e kind, ...)
{
    certauthz_rule_t *r = NULL;
    const char *err;
    va_list ap;

    va_start(ap, kind);
    err = vcompile(kind, &r, ap);
    va_end(ap);
    if (err != NULL) {
        printf("# unexpected compile error: %s\n", err);
        return -1;
    }
    return certauthz_rule_match(r, c);
}

/* The compile error, or NULL when the arguments were accepted. */
static const char *e(certauthz_rule_kind_e kind, ...)
{
    certauthz_rule_t *r = NULL;
    const char *err;
    va_list ap;

    va_start(ap, kind);
    err = vcompile(kind, &r, ap);
    va_end(ap);
    return err;
}

/* The error names the token (and, when given, a word of the reason). */
static void refused(const char *why, const char *token, const char *word,
                    certauthz_rule_kind_e kind, const char *arg)
{
    const char *err = e(kind, arg, NULL);

    ok(err != NULL && strstr(err, token) != NULL &&
           (word == NULL || strstr(err, word) != NULL),
       "refused: %s (%s)", why, err ? err : "accepted");
}

static certauthz_cert_t *parse(X509 *x)
{
    certauthz_cert_t *c = NULL;

    if (certauthz_cert_from_x509(pool, x, &c) != NULL) {
        printf("# cannot parse a generated certificate\n");
        exit(1);
    }
    X509_free(x);
    return c;
}

static certauthz_cert_t *subject_cert(X509_NAME *n, const char *san)
{
    static const unsigned char serial[] = {0x10, 0x01};
    certauthz_cert_t *c = parse(certgen_cert(n, serial, 2, san));

    X509_NAME_free(n);
    return c;
}

int main(void)
{
    certauthz_cert_t *c, *adv, *types[3], *nul, *ser20, *ser1, *neg, *sans,
        *nulsan;
    X509_NAME *n;
    int i;

    apr_initialize();
    apr_pool_create(&pool, NULL);

    /* --- the ordinary device certificate ------------------------------ */
    n = X509_NAME_new();
    certgen_add(n, "C", MBSTRING_UTF8, "US", -1, 0);
    certgen_add(n, "O", MBSTRING_UTF8, "MyOrg", -1, 0);
    certgen_add(n, "OU", MBSTRING_UTF8, "Devices", -1, 0);
    certgen_add(n, "CN", MBSTRING_UTF8, "client1", -1, 0);
    c = subject_cert(n, "email:client1@example.com");

    ok(m(c, V, NULL) == 1, "cert-valid grants any parsed certificate");
    ok(m(c, S, "CN=client1", NULL) == 1, "cert-subject CN=client1");
    ok(m(c, S, "CN=client2", NULL) == 0, "cert-subject CN=client2 fails");
    ok(m(c, S, "O=MyOrg", "CN=client1", "OU=Devices", NULL) == 1,
       "all conditions on one line hold");
    ok(m(c, S, "O=MyOrg", "CN=client9", NULL) == 0,
       "one failing condition fails the line");
    ok(m(c, S, "cn=client1", NULL) == 1,
       "attribute names are case-insensitive");
    ok(m(c, S, "commonName=client1", NULL) == 1, "long names work");
    ok(m(c, S, "COMMONNAME=client1", NULL) == 1,
       "long names are case-insensitive");
    ok(m(c, S, "2.5.4.3=client1", NULL) == 1, "a dotted OID works");
    ok(m(c, S, "CN=Client1", NULL) == 0, "values are case-sensitive");
    ok(m(c, S, "CN=client", NULL) == 0, "'=' is not a prefix match");
    ok(m(c, S, "CN=client1 ", NULL) == 0, "'=' is not whitespace-tolerant");
    ok(m(c, S, "emailAddress=client1@example.com", NULL) == 0,
       "an attribute the DN lacks fails (SAN email is not a DN attribute)");
    ok(m(c, S, "L~.*", NULL) == 0,
       "even a match-everything regex fails when the attribute is absent");
    ok(m(c, S, "CN~^client[0-9]+$", NULL) == 1, "anchored regex");
    ok(m(c, S, "CN~ient", NULL) == 1, "a regex is unanchored by default");
    ok(m(c, S, "CN~^ient", NULL) == 0, "...unless it anchors itself");
    ok(m(c, S, "CN~(?i)^CLIENT1$", NULL) == 1, "inline (?i) works");
    ok(m(c, S, "CN~^CLIENT1$", NULL) == 0, "a regex is case-sensitive");
    ok(m(c, S, "O=MyOrg", "CN~^client", NULL) == 1, "'=' and '~' mix");
    ok(m(c, S, "CN=", NULL) == 0,
       "'CN=' (empty value) does not match a non-empty CN");
    ok(m(c, I, "CN=Unit CA", NULL) == 1, "cert-issuer CN=Unit CA");
    ok(m(c, I, "CN=client1", NULL) == 0,
       "cert-issuer does not see the subject");
    ok(m(c, S, "CN=Unit CA", NULL) == 0,
       "cert-subject does not see the issuer");
    ok(m(c, I, "CN~^Unit", "O=x", NULL) == 0,
       "cert-issuer: a missing O fails the line");

    /* --- adversarial subject ------------------------------------------ */
    n = X509_NAME_new();
    certgen_add(n, "CN", MBSTRING_UTF8, "x,O=MyOrg", -1, 0);
    certgen_add(n, "CN", MBSTRING_UTF8, "y/O=MyOrg", -1, 0);
    certgen_add(n, "CN", MBSTRING_UTF8, "z+OU=x", -1, 0);
    certgen_add(n, "OU", MBSTRING_UTF8, "a", -1, 0);
    certgen_add(n, "OU", MBSTRING_UTF8, "b", -1, 1); /* OU=a+OU=b */
    certgen_add(n, "OU", MBSTRING_UTF8, "c", -1, 0); /* a second OU RDN */
    certgen_add(n, "L", V_ASN1_UTF8STRING, "", 0, 0);
    certgen_add(n, "C", V_ASN1_BIT_STRING, "US", 2, 0); /* undecodable */
    certgen_add(n, "1.3.6.1.4.1.99999.1", V_ASN1_UTF8STRING, "private", -1, 0);
    adv = subject_cert(n, NULL);

    ok(m(adv, S, "O=MyOrg", NULL) == 0, "a CN holding ',O=MyOrg' is no O");
    ok(m(adv, S, "O~MyOrg", NULL) == 0, "...not even for a regex");
    ok(m(adv, S, "CN=x,O=MyOrg", NULL) == 1, "...it is a CN");
    ok(m(adv, S, "CN=y/O=MyOrg", NULL) == 1, "a CN holding '/O=MyOrg' is a CN");
    ok(m(adv, S, "OU=x", NULL) == 0, "a CN holding '+OU=x' adds no OU");
    ok(m(adv, S, "CN=z+OU=x", NULL) == 1, "...it is a CN");
    ok(m(adv, S, "OU=a", NULL) == 1, "first value of a multi-valued RDN");
    ok(m(adv, S, "OU=b", NULL) == 1, "second value of a multi-valued RDN");
    ok(m(adv, S, "OU=c", NULL) == 1, "a second OU RDN");
    ok(m(adv, S, "OU=a", "OU=c", NULL) == 1,
       "two conditions on one attribute may hold on different values");
    ok(m(adv, S, "OU=a+OU=b", NULL) == 0,
       "'OU=a+OU=b' is one literal value, not the RDN");
    ok(m(adv, S, "OU~^(a|b)$", NULL) == 1, "a regex over any value");
    ok(m(adv, S, "OU=d", NULL) == 0, "no OU value is d");
    ok(m(adv, S, "L=", NULL) == 1,
       "'L=' matches an L present with an empty value");
    ok(m(adv, S, "L~^$", NULL) == 1, "'L~^$' matches the empty value too");
    ok(m(adv, S, "C=US", NULL) == -1,
       "an undecodable value is never a match for '=': it cannot be told "
       "(-1, callers fail closed)");
    ok(m(adv, S, "C~.", NULL) == -1,
       "...nor for '~'");
    ok(m(adv, S, "C=US", "O=NoSuchOrg", NULL) == 0,
       "a condition refuted elsewhere still refutes the line (0)");
    ok(m(adv, S, "1.3.6.1.4.1.99999.1=private", NULL) == 1,
       "an attribute OpenSSL has no name for, by dotted OID");
    ok(m(adv, S, "1.3.6.1.4.1.99999.2=private", NULL) == 0,
       "...and a sibling OID is another attribute");
    ok(m(adv, S, "C~", NULL) == -1,
       "an undecodable value cannot be told even for the empty regex");

    /* --- one text, three string types --------------------------------- */
    {
        static const char bmp[] = {0,   'D', 0,   'e', 0,   'v', 0,
                                   'i', 0,   'c', 0,   'e', 0,   's'};
        static const char bmp_soc[] = {0,   'S', 0,      'o', 0,   'c', 0,
                                       'i', 0,   '\xe9', 0,   't', 0,   '\xe9'};
        int t[3] = {V_ASN1_PRINTABLESTRING, V_ASN1_UTF8STRING,
                    V_ASN1_BMPSTRING};

        for (i = 0; i < 3; i++) {
            n = X509_NAME_new();
            if (t[i] == V_ASN1_BMPSTRING) {
                certgen_add(n, "OU", t[i], bmp, sizeof(bmp), 0);
                certgen_add(n, "O", t[i], bmp_soc, sizeof(bmp_soc), 0);
            }
            else {
                certgen_add(n, "OU", t[i], "Devices", -1, 0);
                if (t[i] == V_ASN1_UTF8STRING) {
                    certgen_add(n, "O", t[i], "Soci\xc3\xa9t\xc3\xa9", -1, 0);
                }
                else {
                    certgen_add(n, "O", V_ASN1_UTF8STRING,
                                "Soci\xc3\xa9t\xc3\xa9", -1, 0);
                }
            }
            types[i] = subject_cert(n, NULL);
        }
        for (i = 0; i < 3; i++) {
            static const char *tn[3] = {"PrintableString", "UTF8String",
                                        "BMPString"};
            ok(m(types[i], S, "OU=Devices", NULL) == 1,
               "OU=Devices matches a %s", tn[i]);
            ok(m(types[i], S, "O=Soci\xc3\xa9t\xc3\xa9", NULL) == 1,
               "O=Soci\xc3\xa9t\xc3\xa9 (UTF-8) matches (%s subject)", tn[i]);
            ok(m(types[i], S, "O~^Soci.t.$", NULL) == 1,
               "a regex '.' is one character, not one byte (%s)", tn[i]);
            ok(m(types[i], S, "O=Societe", NULL) == 0,
               "accents are not folded (%s)", tn[i]);
        }
    }

    /* --- embedded NUL --------------------------------------------------- */
    n = X509_NAME_new();
    certgen_add(n, "CN", V_ASN1_UTF8STRING, "admin\0.evil", 11, 0);
    certgen_add(n, "O", V_ASN1_UTF8STRING, "MyOrg\0", 6, 0);
    nul = subject_cert(n, NULL);
    ok(m(nul, S, "CN=admin", NULL) == 0,
       "a CN 'admin\\0.evil' is not equal to 'admin'");
    ok(m(nul, S, "CN~^admin$", NULL) == 0,
       "...nor matched by '^admin$' (the regex sees the whole value)");
    ok(m(nul, S, "CN~evil$", NULL) == 1,
       "...the bytes after the NUL are part of the value");
    ok(m(nul, S, "O=MyOrg", NULL) == 0,
       "a trailing NUL makes a different value");

    /* --- regex backtracking bomb ----------------------------------------- */
    {
        char val[64];

        memset(val, 'a', 40);
        memcpy(val + 40, "!", 2);
        n = X509_NAME_new();
        certgen_add(n, "CN", V_ASN1_UTF8STRING, val, -1, 0);
        {
            /* The first branch backtracks exponentially before the second
             * could match: without a match limit this would take hours. */
            certauthz_cert_t *bomb = subject_cert(n, NULL);
            struct timespec t0, t1;
            double secs;
            int r;

            clock_gettime(CLOCK_MONOTONIC, &t0);
            r = m(bomb, S, "CN~^(?:(a+)+c|a+!)$", NULL);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            secs = (double)(t1.tv_sec - t0.tv_sec) +
                   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            ok(r == -1 && secs < 1.0,
               "a catastrophic-backtracking regex hits the match limit and "
               "fails closed (%.3f s)",
               secs);
            ok(m(bomb, S, "CN~a+!$", NULL) == 1,
               "...while a sane regex on the same value matches");
        }
    }

    /* --- serials --------------------------------------------------------- */
    ok(m(c, SER, "1001", NULL) == 1, "cert-serial 1001");
    ok(m(c, SER, "0x1001", NULL) == 1, "cert-serial 0x1001");
    ok(m(c, SER, "10:01", NULL) == 1, "cert-serial 10:01");
    ok(m(c, SER, "00:10:01", NULL) == 1, "cert-serial 00:10:01");
    ok(m(c, SER, "01001", NULL) == 1, "cert-serial 01001");
    ok(m(c, SER, "1002", NULL) == 0, "cert-serial 1002 fails");
    ok(m(c, SER, "100100", NULL) == 0, "a longer serial fails");
    ok(m(c, SER, "10", NULL) == 0, "a prefix serial fails");
    ok(m(c, SER, "5", "7", "0X1001", NULL) == 1, "any one of several serials");
    {
        static const unsigned char one[] = {0x01};
        static const unsigned char s20[] = {
            0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
            0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0xff};
        X509_NAME *sn = X509_NAME_new();
        X509 *x;
        ASN1_INTEGER *ai;

        certgen_add(sn, "CN", MBSTRING_UTF8, "s", -1, 0);
        ser1 = parse(certgen_cert(sn, one, 1, NULL));
        ser20 = parse(certgen_cert(sn, s20, 20, NULL));
        x = certgen_cert(sn, one, 1, NULL);
        ai = ASN1_INTEGER_new();
        ASN1_INTEGER_set(ai, -1);
        X509_set_serialNumber(x, ai);
        ASN1_INTEGER_free(ai);
        neg = parse(x);
        X509_NAME_free(sn);
    }
    ok(m(ser1, SER, "0x01", NULL) == 1, "serial 1 as '0x01'");
    ok(m(ser1, SER, "1", NULL) == 1, "serial 1 as '1'");
    ok(m(ser1, SER, "01", NULL) == 1, "serial 1 as '01'");
    ok(m(ser1, SER, "00:01", NULL) == 1, "serial 1 as '00:01'");
    ok(m(ser1, SER, "0", NULL) == 0, "serial 1 is not 0");
    ok(m(ser20, SER, "7f0102030405060708090a0b0c0d0e0f101112ff", NULL) == 1,
       "a 20-byte serial");
    ok(m(ser20, SER,
         "7F:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:"
         "12:FF",
         NULL) == 1,
       "a 20-byte serial with colons, upper case");
    ok(m(ser20, SER, "7f0102030405060708090a0b0c0d0e0f101112fe", NULL) == 0,
       "a 20-byte serial differing in the last byte");
    ok(m(neg, SER, "1", NULL) == 0, "serial -1 does not match '1'");
    ok(neg->serial_negative, "...(the test certificate is negative)");

    /* --- fingerprints ----------------------------------------------------- */
    {
        char colons[100], *q = colons;
        char upper[80];

        for (i = 0; i < 32; i++) {
            q += sprintf(q, "%s%02X", i ? ":" : "", c->sha256[i]);
        }
        for (i = 0; c->fingerprint[i]; i++) {
            upper[i] = (char)toupper((unsigned char)c->fingerprint[i]);
        }
        upper[i] = '\0';
        ok(m(c, FP, c->fingerprint, NULL) == 1, "fingerprint, lower case");
        ok(m(c, FP, upper, NULL) == 1, "fingerprint, upper case");
        ok(m(c, FP, colons, NULL) == 1, "fingerprint with colons");
        ok(m(c, FP, apr_pstrcat(pool, "sha256:", c->fingerprint, NULL), NULL) ==
               1,
           "fingerprint with sha256: prefix");
        ok(m(c, FP, adv->fingerprint, c->fingerprint, NULL) == 1,
           "any one of several fingerprints");
        ok(m(c, FP, adv->fingerprint, NULL) == 0,
           "another certificate's fingerprint fails");
    }

    /* --- subjectAltNames ---------------------------------------------------
     */
    n = X509_NAME_new();
    certgen_add(n, "CN", MBSTRING_UTF8, "san", -1, 0);
    sans = subject_cert(n, "DNS:Host.Example.COM,DNS:a.b.example.org,"
                           "email:Alice.Smith@Example.COM,"
                           "URI:spiffe://example.org/ns/prod/sa/web,"
                           "IP:10.1.2.3,IP:2001:db8:abcd:12::5,"
                           "IP:::ffff:192.168.0.1");

    ok(m(sans, SAN, "dns:host.example.com", NULL) == 1,
       "dns: compares case-insensitively (upper-case SAN)");
    ok(m(sans, SAN, "DNS:HOST.example.com", NULL) == 1,
       "type and pattern case-insensitive");
    ok(m(sans, SAN, "dns:example.com", NULL) == 0,
       "dns: is not a suffix match");
    ok(m(sans, SAN, "dns:*.example.com", NULL) == 1,
       "dns:*.example.com matches one label");
    ok(m(sans, SAN, "dns:*.EXAMPLE.com", NULL) == 1,
       "wildcard pattern case-insensitive");
    ok(m(sans, SAN, "dns:*.example.org", NULL) == 0,
       "dns:*.example.org does not match a.b.example.org (two labels)");
    ok(m(sans, SAN, "dns:*.b.example.org", NULL) == 1,
       "dns:*.b.example.org matches a.b.example.org");
    ok(m(sans, SAN, "dns:*.host.example.com", NULL) == 0,
       "a wildcard does not match the bare domain");
    ok(m(sans, SAN, "email:Alice.Smith@example.com", NULL) == 1,
       "email: domain case-insensitive");
    ok(m(sans, SAN, "email:alice.smith@example.com", NULL) == 0,
       "email: local part is exact");
    ok(m(sans, SAN, "email:*@example.com", NULL) == 1,
       "email:*@example.com: any local part");
    ok(m(sans, SAN, "email:*@sub.example.com", NULL) == 0,
       "email:*@sub.example.com: another domain");
    ok(m(sans, SAN, "email:*@com", NULL) == 0, "email domain is not a suffix");
    ok(m(sans, SAN, "dns:example.com", "email:*@example.com", NULL) == 1,
       "any pattern may match");
    ok(m(sans, SAN, "uri:spiffe://example.org/ns/prod/sa/web", NULL) == 1,
       "uri: exact");
    ok(m(sans, SAN, "uri:spiffe://example.org/ns/prod/sa/we", NULL) == 0,
       "uri: without '*' is not a prefix match");
    ok(m(sans, SAN, "uri:spiffe://example.org/ns/prod/*", NULL) == 1,
       "uri: prefix with '*'");
    ok(m(sans, SAN, "uri:spiffe://example.org/ns/dev/*", NULL) == 0,
       "uri: another prefix");
    ok(m(sans, SAN, "uri:SPIFFE://example.org/ns/prod/sa/web", NULL) == 0,
       "uri: compares bytes exactly");
    ok(m(sans, SAN, "ip:10.1.2.3", NULL) == 1, "ip: IPv4 address");
    ok(m(sans, SAN, "ip:10.1.2.4", NULL) == 0, "ip: another IPv4 address");
    ok(m(sans, SAN, "ip:10.0.0.0/8", NULL) == 1, "ip: IPv4 CIDR");
    ok(m(sans, SAN, "ip:10.1.2.2/31", NULL) == 1, "ip: IPv4 /31");
    ok(m(sans, SAN, "ip:10.1.2.4/31", NULL) == 0, "ip: IPv4 /31 outside");
    ok(m(sans, SAN, "ip:10.1.2.99/8", NULL) == 1,
       "ip: host bits in a CIDR are ignored (as Require ip)");
    ok(m(sans, SAN, "ip:11.0.0.0/8", NULL) == 0, "ip: IPv4 CIDR outside");
    ok(m(sans, SAN, "ip:0.0.0.0/0", NULL) == 1, "ip: /0 matches any IPv4");
    ok(m(sans, SAN, "ip:2001:db8:abcd:12::5", NULL) == 1, "ip: IPv6 address");
    ok(m(sans, SAN, "ip:2001:DB8:ABCD:0012:0:0:0:5", NULL) == 1,
       "ip: IPv6 in another spelling");
    ok(m(sans, SAN, "ip:2001:db8:abcd:12::/64", NULL) == 1,
       "ip: IPv6 CIDR /64");
    ok(m(sans, SAN, "ip:2001:db8:abcd:13::/64", NULL) == 0,
       "ip: IPv6 CIDR /64 outside");
    ok(m(sans, SAN, "ip:2001:db8:8000::/33", NULL) == 1,
       "ip: IPv6 CIDR /33 (the SAN's bit 33 is set)");
    ok(m(sans, SAN, "ip:2001:db8::/33", NULL) == 0,
       "ip: IPv6 CIDR /33, the other half");
    ok(m(sans, SAN, "ip:192.168.0.1", NULL) == 0,
       "an IPv4 pattern never matches an IPv4-mapped IPv6 SAN");
    ok(m(sans, SAN, "ip:::ffff:192.168.0.1", NULL) == 1,
       "the IPv4-mapped IPv6 pattern matches it");
    ok(m(sans, SAN, "ip:::/0", NULL) == 1, "ip: ::/0 matches any IPv6");
    ok(m(sans, SAN, "dns:10.1.2.3", NULL) == 0, "an IP SAN is not a DNS SAN");
    ok(m(c, SAN, "dns:client1", NULL) == 0,
       "cert-san never looks at the subject CN");
    ok(m(adv, SAN, "dns:*.example.com", "ip:0.0.0.0/0", "ip:::/0", "uri:*",
         "email:*@example.com", NULL) == 0,
       "a certificate without SANs matches no SAN pattern");

    {
        /* SANs with a NUL byte: built by hand, as no config syntax makes them.
         */
        X509_NAME *sn = X509_NAME_new();
        static const unsigned char serial[] = {0x02};
        X509 *x;
        GENERAL_NAMES *gens = GENERAL_NAMES_new();
        static const struct {
            int type;
            const char *v;
            int len;
        } bad[] = {
            {GEN_DNS, "good.example.com\0.evil.net", 26},
            {GEN_EMAIL, "ceo@example.com\0@evil.net", 25},
            {GEN_URI, "spiffe://example.org/ns/prod/x\0", 31},
            {GEN_DNS, "x.example.org\0", 14},
        };

        certgen_add(sn, "CN", MBSTRING_UTF8, "nulsan", -1, 0);
        x = certgen_cert(sn, serial, 1, NULL);
        X509_NAME_free(sn);
        for (i = 0; i < 4; i++) {
            GENERAL_NAME *g = GENERAL_NAME_new();
            ASN1_IA5STRING *s = ASN1_IA5STRING_new();

            ASN1_STRING_set(s, bad[i].v, bad[i].len);
            GENERAL_NAME_set0_value(g, bad[i].type, s);
            sk_GENERAL_NAME_push(gens, g);
        }
        X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
        GENERAL_NAMES_free(gens);
        X509_sign(x, certgen_key(), EVP_sha256());
        nulsan = parse(x);
    }
    ok(nulsan->n_sans == 4, "the NUL SAN certificate has four SANs");
    ok(m(nulsan, SAN, "dns:good.example.com", NULL) == 0,
       "dns 'good.example.com\\0.evil.net' is not good.example.com");
    ok(m(nulsan, SAN, "dns:*.evil.net", NULL) == 0, "...nor *.evil.net");
    ok(m(nulsan, SAN, "email:ceo@example.com", NULL) == 0,
       "email 'ceo@example.com\\0@evil.net' is not ceo@example.com");
    ok(m(nulsan, SAN, "email:*@evil.net", NULL) == 0, "...nor *@evil.net");
    ok(m(nulsan, SAN, "uri:spiffe://example.org/ns/prod/*", NULL) == 0,
       "a URI with a NUL never matches, even by prefix");
    ok(m(nulsan, SAN, "dns:x.example.org", "dns:*.example.org", NULL) == 0,
       "a trailing NUL in a DNS SAN never matches");

    /* --- wildcard depth -------------------------------------------------- */
    {
        X509_NAME *wn = X509_NAME_new();
        certauthz_cert_t *w;
        static const unsigned char serial[] = {0x03};

        certgen_add(wn, "CN", MBSTRING_UTF8, "w", -1, 0);
        w = parse(certgen_cert(wn, serial, 1,
                               "DNS:example.com,DNS:.example.net,"
                               "email:@example.com"));
        X509_NAME_free(wn);
        ok(m(w, SAN, "dns:*.example.com", NULL) == 0,
           "dns:*.example.com does not match example.com");
        ok(m(w, SAN, "dns:*.example.net", NULL) == 0,
           "dns:*.example.net does not match '.example.net' (empty label)");
        ok(m(w, SAN, "email:*@example.com", NULL) == 0,
           "email:*@example.com does not match '@example.com' (no local part)");
    }

    /* --- malformed arguments: each refused, naming the token ---------------
     */
    refused("unknown attribute", "'XYZ' in 'XYZ=a'", "unknown attribute", S,
            "XYZ=a");
    refused("unknown attribute in cert-issuer", "'Nope'", NULL, I, "Nope~x");
    refused("bad OID", "'1.2.'", NULL, S, "1.2.=x");
    refused("no operator", "'CNclient1'", NULL, S, "CNclient1");
    refused("no attribute name", "'=x'", NULL, S, "=x");
    refused("bad regex", "'CN~(unclosed'", "offset", S, "CN~(unclosed");
    refused("bad regex: PCRE2 message", "missing closing parenthesis", NULL, S,
            "CN~(unclosed");
    refused("regex with invalid UTF-8", "'CN~\xff'", NULL, S, "CN~\xff");
    refused("bad hex serial", "'xyz'", "hex", SER, "xyz");
    refused("serial with a space", "'10 01'", NULL, SER, "10 01");
    refused("negative serial", "'-1'", NULL, SER, "-1");
    refused("empty 0x serial", "'0x'", NULL, SER, "0x");
    refused("short fingerprint", "'abcd'", "64", FP, "abcd");
    refused("63-digit fingerprint", "'0123456789abcdef", "64", FP,
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde");
    refused("sha1 fingerprint", "'sha1:", "SHA-256", FP,
            "sha1:a94a8fe5ccb19ba61c4c0873d391e987982fbbd3");
    refused("non-hex fingerprint", "'zz", NULL, FP,
            "zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    refused("unknown SAN type", "'rid' in 'rid:1.2.3'", "unknown SAN type", SAN,
            "rid:1.2.3");
    refused("SAN without a type", "'example.com'", NULL, SAN, "example.com");
    refused("empty SAN pattern", "'dns:'", NULL, SAN, "dns:");
    refused("dns wildcard inside a label", "'dns:a*.example.com'", NULL, SAN,
            "dns:a*.example.com");
    refused("dns wildcard at depth", "'dns:a.*.example.com'", NULL, SAN,
            "dns:a.*.example.com");
    refused("dns bare '*'", "'dns:*'", NULL, SAN, "dns:*");
    refused("dns '*.' only", "'dns:*.'", NULL, SAN, "dns:*.");
    refused("dns '**.x'", "'dns:**.example.com'", NULL, SAN,
            "dns:**.example.com");
    refused("dns empty label", "'dns:a..example.com'", "empty label", SAN,
            "dns:a..example.com");
    refused("dns trailing dot", "'dns:example.com.'", NULL, SAN,
            "dns:example.com.");
    refused("email without @", "'email:example.com'", NULL, SAN,
            "email:example.com");
    refused("email partial wildcard", "'email:a*@example.com'", NULL, SAN,
            "email:a*@example.com");
    refused("email empty domain", "'email:a@'", NULL, SAN, "email:a@");
    refused("email wildcard domain", "'email:*@*.example.com'", NULL, SAN,
            "email:*@*.example.com");
    refused("uri '*' in the middle", "'uri:spiffe://*/x'", NULL, SAN,
            "uri:spiffe://*/x");
    refused("bad IPv4", "'ip:10.1.2.256'", NULL, SAN, "ip:10.1.2.256");
    refused("IPv4 prefix 33", "'ip:10.0.0.0/33'", NULL, SAN, "ip:10.0.0.0/33");
    refused("IPv6 prefix 129", "'ip:2001:db8::/129'", NULL, SAN,
            "ip:2001:db8::/129");
    refused("empty prefix", "'ip:10.0.0.0/'", NULL, SAN, "ip:10.0.0.0/");
    refused("signed prefix", "'ip:10.0.0.0/+8'", NULL, SAN, "ip:10.0.0.0/+8");
    refused("negative prefix", "'ip:10.0.0.0/-1'", NULL, SAN, "ip:10.0.0.0/-1");
    refused("non-numeric prefix", "'ip:10.0.0.0/x'", NULL, SAN,
            "ip:10.0.0.0/x");
    refused("hostname as ip", "'ip:localhost'", NULL, SAN, "ip:localhost");
    refused("bracketed IPv6", "'ip:[::1]'", NULL, SAN, "ip:[::1]");
    refused("IPv6 zone id", "'ip:fe80::1%eth0'", NULL, SAN, "ip:fe80::1%eth0");
    refused("cert-valid with an argument", "'x'", "no arguments", V, "x");
    ok(e(S, "CN=a", "XYZ=b", NULL) != NULL,
       "a bad condition after a good one is still refused");
    ok(e(SER, "1", "g", NULL) != NULL && strstr(e(SER, "1", "g", NULL), "'g'"),
       "the bad serial among several is named");
    refused("empty subject condition", "''", NULL, S, "");
    refused("empty serial", "''", NULL, SER, "");
    refused("empty fingerprint", "''", NULL, FP, "");
    refused("empty SAN pattern", "''", NULL, SAN, "");
    refused("empty argument to cert-valid", "''", NULL, V, "");
    ok(e(S, NULL) != NULL, "cert-subject without arguments refused");
    ok(e(I, NULL) != NULL, "cert-issuer without arguments refused");
    ok(e(SER, NULL) != NULL, "cert-serial without arguments refused");
    ok(e(FP, NULL) != NULL, "cert-fingerprint without arguments refused");
    ok(e(SAN, NULL) != NULL, "cert-san without arguments refused");
    ok(e(V, NULL) == NULL, "cert-valid without arguments accepted");
    ok(e(S, "CN=", NULL) == NULL, "'CN=' (empty value) is accepted");
    ok(e(S, "2.5.4.97=VATDE-123", NULL) == NULL,
       "a dotted OID is accepted (organizationIdentifier)");
    ok(e(S, "1.3.6.1.4.1.99999.1=x", NULL) == NULL,
       "an OID OpenSSL has no name for is accepted");
    ok(e(SAN, "Email:*@x.org", "URI:https://x/*", "IP:::1", NULL) == NULL,
       "SAN type names in any case");

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
