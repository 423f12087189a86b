/* phone.c -- see phone.h. The assigned country calling codes are kept as the
 * readable list the ITU publishes; on first use they are spread into a table
 * indexed by a number's first three digits, so that every question about a
 * number costs a bounded amount of work however many numbers are asked about
 * (the client cleans a million of them in one run). */
#include "common/phone.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CC_MAX_DIGITS 3
#define CC_SLOTS      1000 /* 10^CC_MAX_DIGITS */

/* Every code in the "List of ITU-T Recommendation E.164 assigned country
 * codes" (Complement to ITU-T Recommendation E.164 (11/2010)), position on
 * 15 December 2016, annexed to ITU Operational Bulletin No. 1114, with the
 * amendments published since in the Operational Bulletin: the edition still
 * in force in 2023-2024.
 *
 * Kept in the ITU list's own order (as strings, so "1" < "20" < "211" < "27")
 * and with the spare and reserved codes named in comments, so that a review
 * is a line-by-line comparison with the ITU document. Spare and reserved
 * codes are left out on purpose: no number can be reached through them.
 * Shared codes for groups of countries, networks, global services and trials
 * are assigned codes and stay in. */
static const char *const assigned_codes[] = {
    /* 0: reserved */
    "1", /* Canada, United States and the other NANP members */
    /* Zone 2 */
    "20", /* Egypt */
    /* 210: spare */
    "211", /* South Sudan */
    "212", /* Morocco */
    "213", /* Algeria */
    /* 214, 215: spare */
    "216", /* Tunisia */
    /* 217: spare */
    "218", /* Libya */
    /* 219: spare */
    "220", /* Gambia */
    "221", /* Senegal */
    "222", /* Mauritania */
    "223", /* Mali */
    "224", /* Guinea */
    "225", /* Cote d'Ivoire */
    "226", /* Burkina Faso */
    "227", /* Niger */
    "228", /* Togo */
    "229", /* Benin */
    "230", /* Mauritius */
    "231", /* Liberia */
    "232", /* Sierra Leone */
    "233", /* Ghana */
    "234", /* Nigeria */
    "235", /* Chad */
    "236", /* Central African Republic */
    "237", /* Cameroon */
    "238", /* Cabo Verde */
    "239", /* Sao Tome and Principe */
    "240", /* Equatorial Guinea */
    "241", /* Gabon */
    "242", /* Congo */
    "243", /* Democratic Republic of the Congo */
    "244", /* Angola */
    "245", /* Guinea-Bissau */
    "246", /* Diego Garcia */
    "247", /* Ascension */
    "248", /* Seychelles */
    "249", /* Sudan */
    "250", /* Rwanda */
    "251", /* Ethiopia */
    "252", /* Somalia */
    "253", /* Djibouti */
    "254", /* Kenya */
    "255", /* Tanzania */
    "256", /* Uganda */
    "257", /* Burundi */
    "258", /* Mozambique */
    /* 259: spare */
    "260", /* Zambia */
    "261", /* Madagascar */
    "262", /* Reunion, Mayotte */
    "263", /* Zimbabwe */
    "264", /* Namibia */
    "265", /* Malawi */
    "266", /* Lesotho */
    "267", /* Botswana */
    "268", /* Eswatini */
    "269", /* Comoros */
    "27",  /* South Africa */
    /* 280-289: spare */
    "290", /* Saint Helena, Ascension and Tristan da Cunha */
    "291", /* Eritrea */
    /* 292-296: spare */
    "297", /* Aruba */
    "298", /* Faroe Islands */
    "299", /* Greenland */
    /* Zone 3 */
    "30",  /* Greece */
    "31",  /* Netherlands */
    "32",  /* Belgium */
    "33",  /* France */
    "34",  /* Spain */
    "350", /* Gibraltar */
    "351", /* Portugal */
    "352", /* Luxembourg */
    "353", /* Ireland */
    "354", /* Iceland */
    "355", /* Albania */
    "356", /* Malta */
    "357", /* Cyprus */
    "358", /* Finland */
    "359", /* Bulgaria */
    "36",  /* Hungary */
    "370", /* Lithuania */
    "371", /* Latvia */
    "372", /* Estonia */
    "373", /* Moldova */
    "374", /* Armenia */
    "375", /* Belarus */
    "376", /* Andorra */
    "377", /* Monaco */
    "378", /* San Marino */
    "379", /* Vatican City State */
    "380", /* Ukraine */
    "381", /* Serbia */
    "382", /* Montenegro */
    "383", /* Kosovo */
    /* 384: spare */
    "385", /* Croatia */
    "386", /* Slovenia */
    "387", /* Bosnia and Herzegovina */
    "388", /* Group of countries, shared code */
    "389", /* North Macedonia */
    "39",  /* Italy, Vatican City State */
    /* Zone 4 */
    "40",  /* Romania */
    "41",  /* Switzerland */
    "420", /* Czech Republic */
    "421", /* Slovakia */
    /* 422: spare */
    "423", /* Liechtenstein */
    /* 424-429: spare */
    "43", /* Austria */
    "44", /* United Kingdom */
    "45", /* Denmark */
    "46", /* Sweden */
    "47", /* Norway */
    "48", /* Poland */
    "49", /* Germany */
    /* Zone 5 */
    "500", /* Falkland Islands (Malvinas) */
    "501", /* Belize */
    "502", /* Guatemala */
    "503", /* El Salvador */
    "504", /* Honduras */
    "505", /* Nicaragua */
    "506", /* Costa Rica */
    "507", /* Panama */
    "508", /* Saint Pierre and Miquelon */
    "509", /* Haiti */
    "51",  /* Peru */
    "52",  /* Mexico */
    "53",  /* Cuba */
    "54",  /* Argentina */
    "55",  /* Brazil */
    "56",  /* Chile */
    "57",  /* Colombia */
    "58",  /* Venezuela */
    "590", /* Guadeloupe */
    "591", /* Bolivia */
    "592", /* Guyana */
    "593", /* Ecuador */
    "594", /* French Guiana */
    "595", /* Paraguay */
    "596", /* Martinique */
    "597", /* Suriname */
    "598", /* Uruguay */
    "599", /* Curacao; Bonaire, Sint Eustatius and Saba */
    /* Zone 6 */
    "60",  /* Malaysia */
    "61",  /* Australia */
    "62",  /* Indonesia */
    "63",  /* Philippines */
    "64",  /* New Zealand */
    "65",  /* Singapore */
    "66",  /* Thailand */
    "670", /* Timor-Leste */
    /* 671: spare */
    "672", /* Australian External Territories */
    "673", /* Brunei Darussalam */
    "674", /* Nauru */
    "675", /* Papua New Guinea */
    "676", /* Tonga */
    "677", /* Solomon Islands */
    "678", /* Vanuatu */
    "679", /* Fiji */
    "680", /* Palau */
    "681", /* Wallis and Futuna */
    "682", /* Cook Islands */
    "683", /* Niue */
    /* 684: spare */
    "685", /* Samoa */
    "686", /* Kiribati */
    "687", /* New Caledonia */
    "688", /* Tuvalu */
    "689", /* French Polynesia */
    "690", /* Tokelau */
    "691", /* Micronesia */
    "692", /* Marshall Islands */
    /* 693-699: spare */
    /* Zone 7 */
    "7", /* Russian Federation, Kazakhstan */
    /* Zone 8 */
    "800", /* International Freephone Service */
    /* 801-807: spare */
    "808", /* International Shared Cost Service (ISCS) */
    /* 809: spare */
    "81", /* Japan */
    "82", /* Korea (Republic of) */
    /* 830-839: spare */
    "84",  /* Viet Nam */
    "850", /* Democratic People's Republic of Korea */
    /* 851: spare */
    "852", /* Hong Kong, China */
    "853", /* Macao, China */
    /* 854: spare */
    "855", /* Cambodia */
    "856", /* Lao P.D.R. */
    /* 857-859: spare */
    "86",  /* China */
    "870", /* Inmarsat SNAC */
    /* 871-874: spare; 875-877: reserved, maritime mobile service applications */
    "878", /* Universal Personal Telecommunication Service (UPT) */
    /* 879: reserved for national non-commercial purposes */
    "880", /* Bangladesh */
    "881", /* Global Mobile Satellite System (GMSS), shared code */
    "882", /* International Networks, shared code */
    "883", /* International Networks, shared code */
    /* 884, 885: spare */
    "886", /* Taiwan, China */
    /* 887: spare */
    "888", /* Telecommunications for Disaster Relief (TDR) by OCHA */
    /* 889: spare; 890-899: spare */
    /* Zone 9 */
    "90",  /* Turkiye */
    "91",  /* India */
    "92",  /* Pakistan */
    "93",  /* Afghanistan */
    "94",  /* Sri Lanka */
    "95",  /* Myanmar */
    "960", /* Maldives */
    "961", /* Lebanon */
    "962", /* Jordan */
    "963", /* Syrian Arab Republic */
    "964", /* Iraq */
    "965", /* Kuwait */
    "966", /* Saudi Arabia */
    "967", /* Yemen */
    "968", /* Oman */
    /* 969: reserved */
    "970", /* Palestine (State of) */
    "971", /* United Arab Emirates */
    "972", /* Israel */
    "973", /* Bahrain */
    "974", /* Qatar */
    "975", /* Bhutan */
    "976", /* Mongolia */
    "977", /* Nepal */
    /* 978: spare */
    "979", /* International Premium Rate Service (IPRS) */
    "98",  /* Iran */
    /* 990: spare */
    "991", /* Trial of a proposed new international service, shared code */
    "992", /* Tajikistan */
    "993", /* Turkmenistan */
    "994", /* Azerbaijan */
    "995", /* Georgia */
    "996", /* Kyrgyzstan */
    /* 997: spare */
    "998", /* Uzbekistan */
    /* 999: reserved for a future global service */
};

#define ASSIGNED_CODE_COUNT (sizeof(assigned_codes) / sizeof(assigned_codes[0]))

/* cc_len[d] for the first three digits d of a number: the length of the
 * assigned code the number begins with, or 0. Because the codes are
 * prefix-free, one slot never has two answers. */
static unsigned char cc_len[CC_SLOTS];
static pthread_once_t cc_len_once = PTHREAD_ONCE_INIT;

/* The list is constant, so a broken entry shows up on the first call of any
 * test run; stopping loudly beats splitting numbers at the wrong place. */
static void table_bug(const char *code, const char *why)
{
    fprintf(stderr, "phone.c: country code table: \"%s\" %s\n", code, why);
    abort();
}

static void cc_len_build(void)
{
    const char *prev = "";
    for (size_t i = 0; i < ASSIGNED_CODE_COUNT; i++) {
        const char *code = assigned_codes[i];
        size_t n = strlen(code);
        if (n < 1 || n > CC_MAX_DIGITS || code[0] == '0')
            table_bug(code, "is not a country code");
        unsigned value = 0;
        for (size_t k = 0; k < n; k++) {
            if (code[k] < '0' || code[k] > '9')
                table_bug(code, "is not a country code");
            value = value * 10 + (unsigned)(code[k] - '0');
        }
        if (strcmp(prev, code) >= 0)
            table_bug(code, "is out of order or repeated");
        prev = code;

        /* A code of n digits owns every slot its digits begin. */
        unsigned span = 1;
        for (size_t k = n; k < CC_MAX_DIGITS; k++)
            span *= 10;
        for (unsigned slot = value * span; slot < (value + 1) * span; slot++) {
            if (cc_len[slot] != 0)
                table_bug(code, "overlaps a shorter or longer code (not prefix-free)");
            cc_len[slot] = (unsigned char)n;
        }
    }
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int phone_country_code_len(const char *s, size_t len)
{
    if (s == NULL)
        return 0;
    pthread_once(&cc_len_once, cc_len_build);

    /* Missing digits count as 0: a slot's answer only depends on the digits
     * the code has, so it is right whenever it needs no more than we got. */
    size_t have = 0;
    unsigned slot = 0;
    for (size_t k = 0; k < CC_MAX_DIGITS; k++) {
        unsigned d = 0;
        if (k == have && k < len && is_digit(s[k])) {
            d = (unsigned)(s[k] - '0');
            have++;
        }
        slot = slot * 10 + d;
    }
    if (have == 0)
        return 0;
    int n = cc_len[slot];
    return (size_t)n <= have ? n : 0;
}

bool phone_is_valid(const char *s, size_t len)
{
    if (s == NULL || len < PHONE_MIN_DIGITS || len > PHONE_MAX_DIGITS)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return false;
    }
    if (s[0] == '0')
        return false;
    return phone_country_code_len(s, len) > 0;
}

static bool is_separator(char c)
{
    return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')';
}

/* Digits kept from the raw input: enough for the longest number plus a
 * dropped "00". Past that the count alone decides (BAD_LENGTH). */
#define CLEAN_KEEP (PHONE_MAX_DIGITS + 2)

/* The default code is only looked at when a national number needs it, so a
 * bad one fails exactly the rows it would have changed. NULL and "" both
 * mean "no default", as an unset option or variable usually arrives. */
static enum phone_clean_status check_default_cc(const char *default_cc, size_t *cc_n)
{
    if (default_cc == NULL || default_cc[0] == '\0')
        return PHONE_CLEAN_NATIONAL;
    size_t n = 0;
    while (n <= CC_MAX_DIGITS && default_cc[n] != '\0')
        n++;
    if (n > CC_MAX_DIGITS)
        return PHONE_CLEAN_BAD_DEFAULT_CC;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(default_cc[i]))
            return PHONE_CLEAN_BAD_DEFAULT_CC;
    }
    if (default_cc[0] == '0' || phone_country_code_len(default_cc, n) != (int)n)
        return PHONE_CLEAN_BAD_DEFAULT_CC;
    *cc_n = n;
    return PHONE_CLEAN_OK;
}

enum phone_clean_status phone_clean(const char *raw, size_t len, const char *default_cc,
                                    char out[PHONE_BUFSZ])
{
    out[0] = '\0';
    if (raw == NULL)
        len = 0;

    /* One pass over the whole input, so that a stray character is reported
     * as such wherever it is, even after more digits than a number holds. */
    char kept[CLEAN_KEEP];
    size_t digits = 0;
    bool plus = false;
    bool seen_significant = false;
    for (size_t i = 0; i < len; i++) {
        char c = raw[i];
        if (is_separator(c))
            continue;
        if (c == '+' && !seen_significant) {
            plus = true;
        } else if (is_digit(c)) {
            if (digits < CLEAN_KEEP)
                kept[digits] = c;
            digits++;
        } else {
            return PHONE_CLEAN_BAD_CHAR;
        }
        seen_significant = true;
    }
    if (digits == 0)
        return PHONE_CLEAN_EMPTY;

    /* After '+' or "00" the number is international, and a 0 that follows
     * is a bad country code, not a trunk prefix to replace. */
    size_t skip = 0;
    bool international = plus;
    if (!plus && digits >= 2 && kept[0] == '0' && kept[1] == '0') {
        skip = 2;
        international = true;
    }

    const char *cc = "";
    size_t cc_n = 0;
    if (!international && kept[0] == '0') {
        enum phone_clean_status st = check_default_cc(default_cc, &cc_n);
        if (st != PHONE_CLEAN_OK)
            return st;
        cc = default_cc;
        skip = 1;
    }

    size_t total = digits - skip + cc_n;
    if (total < PHONE_MIN_DIGITS || total > PHONE_MAX_DIGITS)
        return PHONE_CLEAN_BAD_LENGTH;

    /* total <= PHONE_MAX_DIGITS implies digits <= CLEAN_KEEP: all were kept. */
    char number[PHONE_BUFSZ];
    memcpy(number, cc, cc_n);
    memcpy(number + cc_n, kept + skip, digits - skip);
    number[total] = '\0';
    if (!phone_is_valid(number, total))
        return PHONE_CLEAN_UNKNOWN_CODE;
    memcpy(out, number, total + 1);
    return PHONE_CLEAN_OK;
}

const char *phone_clean_strerror(enum phone_clean_status status)
{
    switch (status) {
    case PHONE_CLEAN_OK:
        return "Valid phone number";
    case PHONE_CLEAN_EMPTY:
        return "No digits in the phone number";
    case PHONE_CLEAN_BAD_CHAR:
        return "Contains a character other than digits, separators or a leading '+'";
    case PHONE_CLEAN_NATIONAL:
        return "National number (leading 0) and no default country code given";
    case PHONE_CLEAN_BAD_LENGTH:
        return "Not 8 to 15 digits after cleaning";
    case PHONE_CLEAN_UNKNOWN_CODE:
        return "Does not begin with an assigned country calling code";
    case PHONE_CLEAN_BAD_DEFAULT_CC:
        return "Default country code is not an assigned country calling code";
    }
    return "Unknown phone cleaning status";
}
