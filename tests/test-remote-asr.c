/* Remote speech recognition over real HTTP (a SoupServer on 127.0.0.1):
 * only the speech intervals are sent, as FLAC (or WAV when chosen) in
 * multipart requests under the size limit, and the words come back at
 * their true times. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ave-test-util.h"
#include "ave-test-server.h"
#include "media/ave-media.h"
#include "providers/ave-remote.h"
#include "providers/ave-remote-asr.h"

#define KEY "sk-asr-test-77aa01"
#define FRAME (1.0 / 25.0)

static AveAnalysis *
make_analysis (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) media = ave_media_probe (path, &error);
  AveAnalysis *a;
  AveInterval speech[] = { { 1.0, 3.0 }, { 6.0, 8.5 } };

  g_assert_no_error (error);
  a = ave_analysis_new (path, media);
  for (guint i = 0; i < G_N_ELEMENTS (speech); i++)
    g_array_append_val (a->speech, speech[i]);
  ave_analysis_add_word (a, "local", 1.2, 1.5, 0.5, FALSE);
  return a;
}

static AveSettings *
asr_settings (AveTestServer *server)
{
  AveSettings *s = ave_settings_new ();

  g_free (s->asr);
  s->asr = g_strdup ("remote");
  s->asr_url = g_strconcat (ave_test_server_get_url (server), "/v1", NULL);
  s->api_timeout = 5;
  s->api_max_retries = 1;
  return s;
}

/* Where `needle` first occurs in binary data at or after `from`, or -1. */
static gssize
find_bytes (const char *data, gsize length, gsize from, const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = from; i + n <= length; i++)
    if (memcmp (data + i, needle, n) == 0)
      return (gssize) i;
  return -1;
}

/* The bytes of the multipart's file part, with its filename and type. */
static GBytes *
file_part (AveTestRequest *request, char **filename, char **content_type)
{
  gsize length;
  const char *body = g_bytes_get_data (request->body, &length);
  gssize name = find_bytes (body, length, 0, "filename=\"");
  gssize type, head_end, end;

  g_assert_cmpint (name, >=, 0);
  type = find_bytes (body, length, name, "Content-Type: ");
  head_end = find_bytes (body, length, name, "\r\n\r\n");
  g_assert_cmpint (type, >=, 0);
  g_assert_cmpint (head_end, >, type);
  /* The closing boundary is the last "\r\n--ave-" of the body. */
  for (end = (gssize) length - 8; end > head_end; end--)
    if (memcmp (body + end, "\r\n--ave-", 8) == 0)
      break;
  g_assert_cmpint (end, >, head_end);
  *filename = g_strndup (body + name + 10, strchr (body + name + 10, '"') - (body + name + 10));
  *content_type = g_strndup (body + type + 14, strstr (body + type, "\r\n") - (body + type + 14));
  return g_bytes_new (body + head_end + 4, end - head_end - 4);
}

/* Decodes an uploaded file with FFmpeg's command line: its codec, and its
 * samples (16 kHz mono s16). */
static GArray *
decode_upload (GBytes *file, const char *name, char **codec)
{
  g_autofree char *path = ave_test_path (name);
  g_autofree char *raw = g_strdup_printf ("%s.s16", path);
  g_autofree char *data = NULL;
  gsize length = 0;
  GArray *samples;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (file, NULL), g_bytes_get_size (file), NULL));
  *codec = ave_test_sh_output ("ffprobe -v error -select_streams a:0 -show_entries stream=codec_name,sample_rate,channels "
                               "-of csv=p=0 '%s'", path);
  g_strstrip (*codec);
  ave_test_sh ("ffmpeg -v error -nostdin -y -i '%s' -f s16le -ar 16000 -ac 1 '%s'", path, raw);
  g_assert_true (g_file_get_contents (raw, &data, &length, NULL));
  samples = g_array_sized_new (FALSE, FALSE, sizeof (gint16), (guint) (length / 2));
  g_array_append_vals (samples, data, (guint) (length / 2));
  return samples;
}

static const AveWord *
find_word (AveAnalysis *a, const char *text)
{
  for (guint i = 0; i < a->words->len; i++)
    if (g_str_equal (g_array_index (a->words, AveWord, i).word, text))
      return &g_array_index (a->words, AveWord, i);
  g_error ("no word '%s' in the transcript", text);
  return NULL;
}

/* Speech [1, 3] and [6, 8.5], padded by 0.2 s: in the upload, 0.8-3.2 s
 * is at 0-2.4 s and 5.8-8.7 s at 2.9-5.8 s (after half a second of gap). */
static void
test_words_at_true_times (void)
{
  const char *audio = ave_test_ffmpeg_media ("asr-tone.wav", "-f lavfi -i sine=frequency=300 -t 12 -c:a pcm_s16le");
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = asr_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AveRemote) remote = ave_remote_new (s, ledger);
  g_autoptr(AveAnalysis) a = make_analysis (audio);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveTestRequest) request = NULL;
  g_autoptr(JsonNode) costs = NULL;
  JsonObject *call;
  const AveWord *w;
  gsize length;
  const char *body;

  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL,
    "{\"text\":\"Hello, um, world.\",\"duration\":5.8,\"words\":["
    "{\"word\":\"Hello,\",\"start\":0.25,\"end\":0.6},"
    "{\"word\":\"um\",\"start\":1.0,\"end\":1.2},"
    "{\"word\":\"world.\",\"start\":3.1,\"end\":3.5}]}");
  g_assert_true (ave_remote_asr_transcribe (remote, audio, a, s, AVE_REMOTE_ASR_MAX_UPLOAD_BYTES, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (a->words->len, ==, 3);
  g_assert_cmpstr (a->transcriber, ==, "remote:openai/whisper-1");
  w = find_word (a, "hello");
  g_assert_cmpfloat_with_epsilon (w->start, 1.05, FRAME);
  g_assert_cmpfloat_with_epsilon (w->end, 1.40, FRAME);
  w = find_word (a, "um");
  g_assert_true (w->filler);
  g_assert_cmpfloat_with_epsilon (w->start, 1.80, FRAME);
  w = find_word (a, "world");
  g_assert_cmpfloat_with_epsilon (w->start, 6.00, FRAME);
  g_assert_cmpfloat_with_epsilon (w->end, 6.40, FRAME);

  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 1);
  request = ave_test_server_get_request (server, 0);
  g_assert_cmpstr (request->path, ==, "/v1/audio/transcriptions");
  g_assert_nonnull (strstr (request->headers, "Authorization: Bearer " KEY));
  g_assert_nonnull (strstr (request->headers, "multipart/form-data; boundary="));
  body = g_bytes_get_data (request->body, &length);
  g_assert_nonnull (g_strstr_len (body, length, "name=\"model\"\r\n\r\nwhisper-1"));
  g_assert_nonnull (g_strstr_len (body, length, "name=\"response_format\"\r\n\r\nverbose_json"));
  g_assert_nonnull (g_strstr_len (body, length, "name=\"timestamp_granularities[]\"\r\n\r\nword"));
  g_assert_nonnull (g_strstr_len (body, length, "name=\"prompt\"\r\n\r\nUm, so, uh"));
  g_assert_cmpint (find_bytes (body, length, 0, KEY), ==, -1);
  {
    g_autofree char *filename = NULL, *content_type = NULL, *codec = NULL;
    g_autoptr(GBytes) file = file_part (request, &filename, &content_type);
    g_autoptr(GArray) samples = NULL;
    double energy = 0;

    /* FLAC by default: its magic, its name and type, and it decodes to
     * the 5.8 s of padded speech and one gap, not the 12 s recording. */
    g_assert_cmpstr (filename, ==, "speech.flac");
    g_assert_cmpstr (content_type, ==, "audio/flac");
    g_assert_cmpint (memcmp (g_bytes_get_data (file, NULL), "fLaC", 4), ==, 0);
    samples = decode_upload (file, "asr-upload.flac", &codec);
    g_assert_cmpstr (codec, ==, "flac,16000,1");
    g_assert_cmpuint (samples->len, >=, 5.8 * 16000 - 2);
    g_assert_cmpuint (samples->len, <=, 5.8 * 16000 + 2);
    for (guint i = 0; i < 16000; i++)
      energy += fabs (g_array_index (samples, gint16, i) / 32768.0);
    g_assert_cmpfloat (energy / 16000, >, 0.06);  /* the tone (lavfi: amplitude 1/8), not silence */
    /* A pure tone compresses far below its WAV size. */
    g_assert_cmpuint (g_bytes_get_size (file), <, (44 + 5.8 * 16000 * 2) / 2);
  }

  /* Priced by the minute: whisper-1 at $0.006. */
  costs = ave_remote_costs_to_json (remote);
  call = json_array_get_object_element (json_object_get_array_member (json_node_get_object (costs), "calls"), 0);
  g_assert_cmpstr (json_object_get_string_member (call, "kind"), ==, "transcription");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (call, "audio_seconds"), 5.8, 0.01);
  g_assert_cmpfloat (json_object_get_double_member (call, "usd"), ==,
                     json_object_get_double_member (call, "audio_seconds") / 60.0 * 0.006);
}

/* A small upload limit, in WAV (whose size is exact): one request per
 * interval, both back in place, each a WAV file. */
static void
test_chunks_wav (void)
{
  const char *audio = ave_test_ffmpeg_media ("asr-tone.wav", "-f lavfi -i sine=frequency=300 -t 12 -c:a pcm_s16le");
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = asr_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AveRemote) remote = ave_remote_new (s, ledger);
  g_autoptr(AveAnalysis) a = make_analysis (audio);
  g_autoptr(GError) error = NULL;

  g_free (s->asr_upload_format);
  s->asr_upload_format = g_strdup ("wav");
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL,
    "{\"words\":[{\"word\":\"first\",\"start\":0.5,\"end\":0.9}]}");
  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL,
    "{\"words\":[{\"word\":\"second\",\"start\":0.5,\"end\":0.9}]}");
  /* 3 s of 16 kHz 16-bit audio per upload */
  g_assert_true (ave_remote_asr_transcribe (remote, audio, a, s, 44 + 3 * 32000, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ave_test_server_get_n_requests (server), ==, 2);
  g_assert_cmpfloat_with_epsilon (find_word (a, "first")->start, 1.3, FRAME);
  g_assert_cmpfloat_with_epsilon (find_word (a, "second")->start, 6.3, FRAME);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(AveTestRequest) request = ave_test_server_get_request (server, i);
      g_autofree char *filename = NULL, *content_type = NULL, *codec = NULL;
      g_autoptr(GBytes) file = file_part (request, &filename, &content_type);
      g_autoptr(GArray) samples = NULL;

      g_assert_cmpstr (filename, ==, "speech.wav");
      g_assert_cmpstr (content_type, ==, "audio/wav");
      g_assert_cmpint (memcmp (g_bytes_get_data (file, NULL), "RIFF", 4), ==, 0);
      g_assert_cmpuint (g_bytes_get_size (file), <=, 44 + 3 * 32000);
      samples = decode_upload (file, "asr-upload.wav", &codec);
      g_assert_cmpstr (codec, ==, "pcm_s16le,16000,1");
      g_assert_cmpuint (samples->len, ==, (g_bytes_get_size (file) - 44) / 2);
    }
}

/* Noise hardly compresses: FLAC chunks planned at a byte a sample pass
 * the limit, and are planned again, smaller, until every upload fits;
 * the words still come back at their true times. */
static void
test_chunks_flac_limit (void)
{
  const char *audio = ave_test_ffmpeg_media ("asr-noise.wav", "-f lavfi -i anoisesrc=d=12:c=white:a=0.5:seed=7 -c:a pcm_s16le");
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = asr_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AveRemote) remote = ave_remote_new (s, ledger);
  g_autoptr(AveAnalysis) a = make_analysis (audio);
  g_autoptr(GError) error = NULL;
  const gsize limit = 64 * 1024;
  guint n;
  double seconds = 0;

  ave_test_server_push (server, AVE_TEST_REPLY_NORMAL, 200, NULL,
    "{\"words\":[{\"word\":\"first\",\"start\":0.5,\"end\":0.9}]}");
  ave_test_server_set_default (server, 200, "{\"words\":[]}");
  g_assert_true (ave_remote_asr_transcribe (remote, audio, a, s, limit, NULL, &error));
  g_assert_no_error (error);
  n = ave_test_server_get_n_requests (server);
  /* 5.3 s of noise at ~2 bytes a sample is ~170 kB: three uploads at least. */
  g_assert_cmpuint (n, >=, 3);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AveTestRequest) request = ave_test_server_get_request (server, i);
      g_autofree char *filename = NULL, *content_type = NULL, *codec = NULL;
      g_autoptr(GBytes) file = file_part (request, &filename, &content_type);
      g_autoptr(GArray) samples = NULL;

      g_assert_cmpstr (filename, ==, "speech.flac");
      g_assert_cmpuint (g_bytes_get_size (file), <=, limit);
      samples = decode_upload (file, "asr-noise-upload.flac", &codec);
      g_assert_cmpstr (codec, ==, "flac,16000,1");
      seconds += samples->len / 16000.0;
    }
  /* All the padded speech went, and nothing else (gaps only between
   * intervals sharing a chunk). */
  g_assert_cmpfloat (seconds, >=, 5.3 - 0.01);
  g_assert_cmpfloat (seconds, <=, 5.8 + 0.01);
  g_assert_cmpfloat_with_epsilon (find_word (a, "first")->start, 1.3, FRAME);
}

/* Bytes of audio sent for the generated talk's speech (its true sentence
 * times, as the silence detector finds them), in each format; the numbers
 * docs/ai.md quotes (`meson test -C build remote-asr -v | grep bytes`). */
static gsize
talk_upload_bytes (const char *talk, const char *format, guint *n_requests, double *seconds)
{
  g_autofree char *truth_path = g_strconcat (talk, ".truth.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = asr_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AveRemote) remote = ave_remote_new (s, ledger);
  g_autoptr(GError) error = NULL;
  g_autoptr(AveMediaInfo) media = ave_media_probe (talk, &error);
  g_autoptr(AveAnalysis) a = NULL;
  JsonArray *sentences;
  gsize bytes = 0;

  g_assert_no_error (error);
  a = ave_analysis_new (talk, media);
  g_assert_true (json_parser_load_from_file (parser, truth_path, &error));
  sentences = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "sentences");
  for (guint i = 0; i < json_array_get_length (sentences); i++)
    {
      JsonObject *o = json_array_get_object_element (sentences, i);
      AveInterval iv = { json_object_get_double_member (o, "start"), json_object_get_double_member (o, "end") };

      g_array_append_val (a->speech, iv);
    }
  *seconds = 0;
  for (guint i = 0; i < a->speech->len; i++)
    *seconds += g_array_index (a->speech, AveInterval, i).end - g_array_index (a->speech, AveInterval, i).start;

  g_free (s->asr_upload_format);
  s->asr_upload_format = g_strdup (format);
  ave_test_server_set_default (server, 200, "{\"words\":[]}");
  g_assert_true (ave_remote_asr_transcribe (remote, talk, a, s, AVE_REMOTE_ASR_MAX_UPLOAD_BYTES, NULL, &error));
  g_assert_no_error (error);
  *n_requests = ave_test_server_get_n_requests (server);
  for (guint i = 0; i < *n_requests; i++)
    {
      g_autoptr(AveTestRequest) request = ave_test_server_get_request (server, i);
      g_autofree char *filename = NULL, *content_type = NULL;
      g_autoptr(GBytes) file = file_part (request, &filename, &content_type);

      g_assert_true (g_str_has_suffix (filename, format));
      bytes += g_bytes_get_size (file);
    }
  return bytes;
}

static void
test_talk_flac_saves_bytes (void)
{
  const char *talk = ave_test_sample ("asr-talk.mp4", 30, 320, 240);
  guint n_wav, n_flac;
  double speech;
  gsize wav = talk_upload_bytes (talk, "wav", &n_wav, &speech);
  gsize flac = talk_upload_bytes (talk, "flac", &n_flac, &speech);

  g_test_message ("bytes of audio sent for %.1f s of speech in the 30 s talk: WAV %" G_GSIZE_FORMAT
                  ", FLAC %" G_GSIZE_FORMAT " (%.0f %%)", speech, wav, flac, 100.0 * flac / wav);
  g_assert_cmpuint (n_wav, ==, 1);
  g_assert_cmpuint (n_flac, ==, 1);
  g_assert_cmpuint (flac, <, wav * 3 / 4);
}

/* A server that fails: FALSE with the cause, the local words kept. */
static void
test_failure_keeps_words (void)
{
  const char *audio = ave_test_ffmpeg_media ("asr-tone.wav", "-f lavfi -i sine=frequency=300 -t 12 -c:a pcm_s16le");
  g_autoptr(AveTestServer) server = ave_test_server_new ();
  g_autoptr(AveSettings) s = asr_settings (server);
  g_autoptr(AveCostLedger) ledger = ave_cost_ledger_new (0);
  g_autoptr(AveRemote) remote = ave_remote_new (s, ledger);
  g_autoptr(AveAnalysis) a = make_analysis (audio);
  g_autoptr(GError) error = NULL;

  ave_test_server_set_default (server, 200, "{\"text\":\"no words here\"}");
  g_assert_false (ave_remote_asr_transcribe (remote, audio, a, s, AVE_REMOTE_ASR_MAX_UPLOAD_BYTES, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "no \"words\" list"));
  g_assert_cmpuint (a->words->len, ==, 1);
  g_assert_cmpstr (g_array_index (a->words, AveWord, 0).word, ==, "local");
}

int
main (int argc, char **argv)
{
  ave_test_init (&argc, &argv);
  g_setenv ("AVE_ASR_API_KEY", KEY, TRUE);

  g_test_add_func ("/engine/remote-asr/words-at-true-times", test_words_at_true_times);
  g_test_add_func ("/engine/remote-asr/chunks-wav", test_chunks_wav);
  g_test_add_func ("/engine/remote-asr/chunks-flac-limit", test_chunks_flac_limit);
  g_test_add_func ("/engine/remote-asr/talk-flac-saves-bytes", test_talk_flac_saves_bytes);
  g_test_add_func ("/engine/remote-asr/failure-keeps-words", test_failure_keeps_words);
  return g_test_run ();
}
